#pragma once

// The few SFTP version 3 packets the watch needs (draft-ietf-secsh-filexfer-02, the
// version OpenSSH's sftp-server and internal-sftp speak), so that several STAT requests
// go in one write and their replies come back in one round trip: libssh 0.10's
// sftp_stat waits for each reply before it sends the next request.
//
// A packet is uint32 length, then `length` bytes: a type byte and its fields (uint32 and
// uint64 big-endian; a string is a uint32 length and its bytes). Replies come from the
// peer, so every field is bounds-checked: any length past the packet's end, a type or
// field missing, or a packet longer than kSftpMaxPacket is an error, never a read past the
// data. What follows the fields used (a STATUS's message, trailing bytes) is ignored.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gs::sftp {

// Longer replies are refused: a STATUS or ATTRS of a stat fits in a few hundred bytes,
// and OpenSSH's sftp-server caps its own packets at 256 KiB.
inline constexpr uint32_t kSftpMaxPacket = 256 * 1024;

inline constexpr uint8_t kFxpInit = 1;
inline constexpr uint8_t kFxpVersion = 2;
inline constexpr uint8_t kFxpStat = 17;
inline constexpr uint8_t kFxpStatus = 101;
inline constexpr uint8_t kFxpAttrs = 105;
inline constexpr uint32_t kFxNoSuchFile = 2;

// SSH_FXP_INIT for version 3, framed.
std::string init_packet();

// SSH_FXP_STAT of `path` (which follows links, as stat(2) does) with request id `id`, framed.
std::string stat_packet(uint32_t id, std::string_view path);

// The length of the packet whose 4-byte length prefix is `prefix`; nullopt when it is 0 or
// more than kSftpMaxPacket.
std::optional<uint32_t> packet_length(std::string_view prefix);

// One reply to a STAT: its request id, and either a status code (STATUS: kFxNoSuchFile
// for a missing file) or the file's attributes (size and mtime, each when sent).
struct StatReply {
  uint32_t id = 0;
  std::optional<uint32_t> status;
  std::optional<uint64_t> size;
  std::optional<uint32_t> mtime;  // seconds since the epoch (SFTP v3 sends 32 bits)
};

// Parse a reply packet's body (the bytes after the length: type byte onwards). nullopt,
// with `why` set, for anything but a whole STATUS or ATTRS.
std::optional<StatReply> parse_stat_reply(std::string_view body, std::string& why);

// The version a VERSION packet's body announces; nullopt for anything else.
std::optional<uint32_t> parse_version(std::string_view body);

}  // namespace gs::sftp
