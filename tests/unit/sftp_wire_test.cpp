// The SFTP v3 packets of the watch (draft-ietf-secsh-filexfer-02): requests as the draft
// frames them, and replies from a peer parsed totally, as a table of whole, short and
// hostile packets.
#include <gtest/gtest.h>

#include "gravity_sync/ssh/sftp_wire.hpp"

namespace gs::sftp {
namespace {

std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}
std::string u64(uint64_t v) { return u32(static_cast<uint32_t>(v >> 32)) + u32(static_cast<uint32_t>(v)); }
std::string str(const std::string& s) { return u32(static_cast<uint32_t>(s.size())) + s; }
std::string byte(uint8_t b) { return std::string(1, static_cast<char>(b)); }

TEST(SftpWire, RequestsAreFramedAsTheDraftSays) {
  EXPECT_EQ(init_packet(), u32(5) + byte(1) + u32(3));
  EXPECT_EQ(stat_packet(7, "/etc/pihole/gravity.db"),
            u32(1 + 4 + 4 + 22) + byte(17) + u32(7) + str("/etc/pihole/gravity.db"));
  // A path is bytes: a newline or NUL in it is carried, never a separator.
  EXPECT_EQ(stat_packet(1, std::string("a\nb\0c", 5)), u32(14) + byte(17) + u32(1) + str(std::string("a\nb\0c", 5)));
}

TEST(SftpWire, PacketLengthsAreBounded) {
  EXPECT_EQ(packet_length(u32(9)), 9u);
  EXPECT_EQ(packet_length(u32(kSftpMaxPacket)), kSftpMaxPacket);
  EXPECT_EQ(packet_length(u32(kSftpMaxPacket + 1)), std::nullopt);
  EXPECT_EQ(packet_length(u32(0)), std::nullopt);
  EXPECT_EQ(packet_length(u32(0xffffffff)), std::nullopt);
  EXPECT_EQ(packet_length("abc"), std::nullopt);
}

TEST(SftpWire, RepliesAreParsedTotally) {
  const std::string all_attrs = u32(0x1 | 0x2 | 0x4 | 0x8) + u64(61'000'000) + u32(999) + u32(999) + u32(0100664) +
                                u32(1'700'000'000) + u32(1'700'000'123);
  struct Case {
    const char* what;
    std::string body;
    bool ok;
    uint32_t id = 0;
    std::optional<uint32_t> status = std::nullopt;
    std::optional<uint64_t> size = std::nullopt;
    std::optional<uint32_t> mtime = std::nullopt;
  };
  const std::vector<Case> cases = {
      {"ATTRS as OpenSSH sends them", byte(105) + u32(4) + all_attrs, true, 4, std::nullopt, 61'000'000, 1'700'000'123},
      {"ATTRS with extended pairs",
       byte(105) + u32(5) + u32(0x1 | 0x8 | 0x80000000) + u64(10) + u32(1) + u32(2) + u32(2) + str("a@b") + str("x") +
           str("c@d") + str(""),
       true, 5, std::nullopt, 10, 2},
      {"ATTRS with only a size", byte(105) + u32(6) + u32(0x1) + u64(42), true, 6, std::nullopt, 42},
      {"ATTRS with nothing", byte(105) + u32(6) + u32(0), true, 6},
      {"STATUS no such file, with message and tag", byte(101) + u32(8) + u32(2) + str("No such file") + str(""), true,
       8, 2},
      {"STATUS without message and tag", byte(101) + u32(9) + u32(3), true, 9, 3},
      {"empty", "", false},
      {"a type and no id", byte(105), false},
      {"a short id", byte(105) + std::string(3, '\0'), false},
      {"ATTRS without flags", byte(105) + u32(1), false},
      {"ATTRS shorter than its size flag", byte(105) + u32(1) + u32(0x1) + u32(0), false},
      {"ATTRS shorter than its time flag", byte(105) + u32(1) + u32(0x8) + u32(1), false},
      {"ATTRS with a uid and no gid", byte(105) + u32(1) + u32(0x2) + u32(0), false},
      {"extended count past the packet", byte(105) + u32(1) + u32(0x80000000) + u32(0xffffffff), false},
      {"extended string past the packet", byte(105) + u32(1) + u32(0x80000000) + u32(1) + u32(1000) + "ab", false},
      {"extended pair without its data", byte(105) + u32(1) + u32(0x80000000) + u32(1) + str("a@b"), false},
      {"STATUS without a code", byte(101) + u32(1), false},
      {"a HANDLE to a STAT", byte(102) + u32(1) + str("h"), false},
      {"a VERSION to a STAT", byte(2) + u32(3), false},
  };
  for (const auto& c : cases) {
    std::string why;
    const auto r = parse_stat_reply(c.body, why);
    ASSERT_EQ(r.has_value(), c.ok) << c.what << ": " << why;
    if (!r) {
      EXPECT_FALSE(why.empty()) << c.what;
      continue;
    }
    EXPECT_EQ(r->id, c.id) << c.what;
    EXPECT_EQ(r->status, c.status) << c.what;
    EXPECT_EQ(r->size, c.size) << c.what;
    EXPECT_EQ(r->mtime, c.mtime) << c.what;
  }
}

TEST(SftpWire, TheVersionIsReadOnlyFromAVersionPacket) {
  EXPECT_EQ(parse_version(byte(2) + u32(3)), 3u);
  EXPECT_EQ(parse_version(byte(2) + u32(3) + str("posix-rename@openssh.com") + str("1")), 3u);
  EXPECT_EQ(parse_version(byte(2)), std::nullopt);
  EXPECT_EQ(parse_version(byte(101) + u32(3)), std::nullopt);
  EXPECT_EQ(parse_version(""), std::nullopt);
}

}  // namespace
}  // namespace gs::sftp
