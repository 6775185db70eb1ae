#pragma once

// The framed answers of gravity-sync's remote scripts, and the small parsers of what the
// remote prints. Everything here reads bytes a peer controls: every function is total
// (no exception, no unbounded growth), and fuzzed (tests/fuzz).
//
// Every script RemoteNode runs frames what it prints on stdout:
//
//   =GS <nonce> BEGIN
//   <answer lines: the script's own records, one per line>
//   =GS <nonce> DATA <size>      then exactly <size> raw bytes (a payload, streamed) and
//                                a newline
//   =GS <nonce> ERR <message>    why the script failed (its `fail`)
//   =GS <nonce> END <status>     the script's exit status
//
// <nonce> is fresh for every command (new_nonce). Bytes outside BEGIN..END — what a login
// script of the remote user printed, say — never become part of an answer or a payload;
// the first of them are kept so `check` can name them.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/ssh/session.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// What one framed remote script answered.
struct RemoteAnswer {
  bool began = false;              // the BEGIN mark was seen
  bool ended = false;              // the END mark was seen
  int exit_code = -1;              // from END (-1 without one)
  std::vector<std::string> lines;  // the answer lines, without their newlines
  std::string error;               // ERR's message, printable
  std::string noise;               // the first bytes seen outside the frame, printable
  uint64_t payload_bytes = 0;      // bytes passed to the payload sink

  // The text after `prefix` on the last answer line that starts with it.
  std::optional<std::string> last(std::string_view prefix) const;
  // That text on every answer line starting with `prefix`, in order.
  std::vector<std::string> all(std::string_view prefix) const;
};

// Reads one framed answer as it arrives (feed), passing payload bytes to `payload`.
// Limits: `max_answer` bytes of answer lines, kMaxLine bytes in one line, kMaxNoise
// bytes outside the frame; beyond them feed() fails (ExitCode::refused): memory never
// grows with what a peer sends.
class FrameReader {
 public:
  FrameReader(std::string nonce, DataSink payload = nullptr, size_t max_answer = kMaxAnswer);

  // The next bytes of the command's stdout.
  Status feed(const char* data, size_t size);
  // What was read. A frame that never began or never ended is reported by the caller
  // (began / ended), so it can add the command's stderr.
  RemoteAnswer finish();

  // The largest legitimate answer: inspect, with pihole.toml (16 MiB) and four text items
  // (4 MiB each) as hex, and room for the rest.
  static constexpr size_t kMaxAnswer = 80 << 20;
  static constexpr size_t kMaxNoise = 64 << 10;
  static constexpr size_t kMaxLine = (32 << 20) + (4 << 10);  // pihole.toml (16 MiB) as hex

 private:
  Status take_line(std::string_view line);

  enum class State { before, body, payload, after };
  std::string begin_;   // "=GS <nonce> BEGIN"
  std::string mark_;    // "=GS <nonce> "
  DataSink payload_;
  size_t max_answer_;
  State state_ = State::before;
  std::string pending_;  // a partial line
  uint64_t payload_left_ = 0;
  bool after_payload_ = false;  // skip the newline that ends a payload
  size_t answer_bytes_ = 0;
  size_t noise_bytes_ = 0;
  std::string noise_raw_;
  RemoteAnswer answer_;
};

// A fresh nonce for one command: 16 lowercase hex digits from getrandom(2).
std::string new_nonce();

// Parse the whole stdout `out` of a command framed with `nonce` (no payload sink: payload
// bytes are counted and dropped).
Result<RemoteAnswer> parse_answer(std::string_view out, const std::string& nonce);

// The words of `line`, split at spaces.
std::vector<std::string> split_words(std::string_view line);

// `line` after its first `words` space-separated words ("" when it has fewer).
std::string rest_after(std::string_view line, size_t words);

// The whole of `word` as a number of type T, or nullopt (std::from_chars).
template <typename T>
std::optional<T> to_number(std::string_view word) {
  T value{};
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

// Lowercase hex (as `od -An -tx1` prints it, spaces and newlines removed) decoded;
// ExitCode::failure naming the remote answer when it is not hex.
Result<std::string> from_hex(std::string_view hex);

}  // namespace gs
