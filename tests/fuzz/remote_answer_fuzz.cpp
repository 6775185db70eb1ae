// Fuzz target: what a remote command prints on stdout, read as a framed answer
// (node/remote_answer: "=GS <nonce> BEGIN", answer lines, "DATA <size>" payloads, "ERR",
// "END <status>"), and the small parsers of an answer's lines.
//
// Input: a first byte choosing how the bytes arrive ('0': all at once; any other byte c:
// in pieces of c bytes, as SSH channel reads cut them), then the command's stdout. The
// nonce is fixed ("0123456789abcdef"), so seeds can hold real frames.
//
// For every input, nothing crashes or throws, and:
//   - the answer does not depend on how the bytes were cut: in pieces or all at once,
//     FrameReader accepts or refuses alike and, accepting, gives the same lines, payload
//     size, status, error and noise;
//   - no answer line holds a newline; the error and noise hold no control character (they
//     reach logs and terminals);
//   - split_words gives non-empty words without a space; from_hex, where it decodes,
//     encodes back to its input.

#include <algorithm>

#include "fuzz_support.hpp"
#include "gravity_sync/node/remote_answer.hpp"
#include "gravity_sync/util/bytes.hpp"

namespace {

bool printable_text(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  const std::string nonce = "0123456789abcdef";
  const std::string_view input = as_text(data, size);
  const size_t piece = input.empty() ? 0 : static_cast<unsigned char>(input.front()) - '0';
  const std::string_view out = input.empty() ? input : input.substr(1);

  // A small answer cap, so that refusals for size are reached too.
  constexpr size_t kCap = 4096;
  FrameReader whole(nonce, nullptr, kCap);
  const auto whole_status = whole.feed(out.data(), out.size());
  FrameReader cut(nonce, nullptr, kCap);
  Status cut_status;
  const size_t step = piece == 0 || piece > 255 ? out.size() : piece;
  for (size_t at = 0; at < out.size() && cut_status; at += step) {
    cut_status = cut.feed(out.data() + at, std::min(step, out.size() - at));
  }
  require(static_cast<bool>(whole_status) == static_cast<bool>(cut_status),
          "an answer is accepted or refused whatever the pieces it arrives in", out);
  const RemoteAnswer a = whole.finish();
  const RemoteAnswer b = cut.finish();
  if (whole_status) {
    require(a.lines == b.lines && a.payload_bytes == b.payload_bytes && a.exit_code == b.exit_code &&
                a.began == b.began && a.ended == b.ended && a.error == b.error,
            "the same answer whatever the pieces it arrives in", out);
  }
  for (const auto& line : a.lines) {
    require(line.find('\n') == std::string::npos, "an answer line holds no newline", line);
    for (const auto& word : split_words(line)) {
      require(!word.empty() && word.find(' ') == std::string::npos, "a word is non-empty and has no space", line);
    }
    (void)rest_after(line, 2);
    (void)to_number<int64_t>(line);
    if (auto bytes = from_hex(line)) {
      require(hex_encode(*bytes) == line, "from_hex decodes only what encodes back to it", line);
    }
  }
  require(printable_text(a.error) && printable_text(a.noise) && printable_text(b.noise),
          "the error and the noise hold no control character", a.error + a.noise);
  (void)parse_answer(out, nonce);
  return 0;
}
