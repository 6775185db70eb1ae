// Fuzz target: what a peer's SFTP server sends back to the watch's requests (ssh/sftp_wire):
// a packet's length prefix, a reply to a STAT, a VERSION.
//
// Input: any bytes, read as each of those.
//
// For every input, nothing crashes or throws, and:
//   - packet_length accepts only 1..kSftpMaxPacket;
//   - parse_stat_reply gives a reply with a status or with attributes, never both, or a
//     reason why not; the same bytes give the same answer (it reads nothing but them).

#include "fuzz_support.hpp"
#include "gravity_sync/ssh/sftp_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs::fuzz;
  using namespace gs::sftp;
  const std::string_view bytes = as_text(data, size);
  if (auto n = packet_length(bytes)) require(*n >= 1 && *n <= kSftpMaxPacket, "a packet length is bounded", bytes);
  std::string why, again;
  const auto reply = parse_stat_reply(bytes, why);
  if (reply) {
    require(!(reply->status && (reply->size || reply->mtime)), "a reply is a status or attributes", bytes);
  } else {
    require(!why.empty(), "a refused reply says why", bytes);
  }
  const auto second = parse_stat_reply(bytes, again);
  require(second.has_value() == reply.has_value() && why == again, "the same bytes, the same answer", bytes);
  if (reply) {
    require(second->id == reply->id && second->status == reply->status && second->size == reply->size &&
                second->mtime == reply->mtime,
            "the same bytes, the same fields", bytes);
  }
  (void)parse_version(bytes);
  return 0;
}
