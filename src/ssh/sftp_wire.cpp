#include "gravity_sync/ssh/sftp_wire.hpp"

namespace gs::sftp {

namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// A packet: its length, then `body`.
std::string framed(const std::string& body) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(body.size()));
  return out + body;
}

// Reads fields off a packet body; every read fails once past its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::optional<uint8_t> u8() {
    if (data_.size() < 1) return std::nullopt;
    const auto v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return v;
  }
  std::optional<uint32_t> u32() {
    if (data_.size() < 4) return std::nullopt;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(data_[static_cast<size_t>(i)]);
    data_.remove_prefix(4);
    return v;
  }
  std::optional<uint64_t> u64() {
    auto hi = u32();
    if (!hi) return std::nullopt;
    auto lo = u32();
    if (!lo) return std::nullopt;
    return (static_cast<uint64_t>(*hi) << 32) | *lo;
  }
  bool skip_string() {
    auto n = u32();
    if (!n || *n > data_.size()) return false;
    data_.remove_prefix(*n);
    return true;
  }

 private:
  std::string_view data_;
};

constexpr uint32_t kAttrSize = 0x1;
constexpr uint32_t kAttrUidGid = 0x2;
constexpr uint32_t kAttrPermissions = 0x4;
constexpr uint32_t kAttrAcModTime = 0x8;
constexpr uint32_t kAttrExtended = 0x80000000;

}  // namespace

std::string init_packet() {
  std::string body(1, static_cast<char>(kFxpInit));
  put_u32(body, 3);
  return framed(body);
}

std::string stat_packet(uint32_t id, std::string_view path) {
  std::string body(1, static_cast<char>(kFxpStat));
  put_u32(body, id);
  put_u32(body, static_cast<uint32_t>(path.size()));
  body.append(path);
  return framed(body);
}

std::optional<uint32_t> packet_length(std::string_view prefix) {
  Reader r(prefix);
  auto n = r.u32();
  if (!n || *n == 0 || *n > kSftpMaxPacket) return std::nullopt;
  return n;
}

std::optional<StatReply> parse_stat_reply(std::string_view body, std::string& why) {
  Reader r(body);
  const auto type = r.u8();
  const auto id = r.u32();
  if (!type || !id) {
    why = "a reply too short for its type and id";
    return std::nullopt;
  }
  StatReply out;
  out.id = *id;
  if (*type == kFxpStatus) {
    // The message and language tag that follow are not needed (some servers leave out
    // the tag).
    out.status = r.u32();
    if (!out.status) {
      why = "a STATUS without its code";
      return std::nullopt;
    }
    return out;
  }
  if (*type != kFxpAttrs) {
    why = "a reply of type " + std::to_string(*type) + " to a STAT";
    return std::nullopt;
  }
  const auto flags = r.u32();
  if (!flags) {
    why = "ATTRS without flags";
    return std::nullopt;
  }
  bool ok = true;
  if (*flags & kAttrSize) ok = (out.size = r.u64()).has_value();
  if (ok && (*flags & kAttrUidGid)) ok = r.u32() && r.u32();
  if (ok && (*flags & kAttrPermissions)) ok = r.u32().has_value();
  if (ok && (*flags & kAttrAcModTime)) ok = r.u32() && (out.mtime = r.u32()).has_value();
  if (ok && (*flags & kAttrExtended)) {
    auto count = r.u32();
    ok = count.has_value();
    // Each pair is at least 8 bytes, so a count past what the packet holds ends early.
    for (uint32_t i = 0; ok && i < *count; ++i) ok = r.skip_string() && r.skip_string();
  }
  if (!ok) {
    why = "ATTRS shorter than its flags say";
    return std::nullopt;
  }
  return out;
}

std::optional<uint32_t> parse_version(std::string_view body) {
  Reader r(body);
  auto type = r.u8();
  if (!type || *type != kFxpVersion) return std::nullopt;
  return r.u32();
}

}  // namespace gs::sftp
