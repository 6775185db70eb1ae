#pragma once

// What the fuzz targets of tests/fuzz share (docs/FUZZING.md). Each target is total: it
// feeds the fuzzer's bytes to a parser and checks properties that must hold for every
// input; a property that does not hold aborts, so libFuzzer keeps the input as a crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace gs::fuzz {

// The fuzzer's `size` bytes at `data` as text.
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Abort with the property `what` that did not hold and `detail` (shown up to 300 bytes).
[[noreturn]] inline void violated(const char* what, std::string_view detail = {}) {
  const int shown = static_cast<int>(detail.size() < 300 ? detail.size() : 300);
  std::fprintf(stderr, "\nfuzz property violated: %s\n  %.*s\n", what, shown, detail.data());
  std::abort();
}

// Abort unless `holds`: the property `what` must hold for every input.
inline void require(bool holds, const char* what, std::string_view detail = {}) {
  if (!holds) violated(what, detail);
}

// `text` split at its first NUL byte: what comes before and after it (empty without one).
// Targets that take two texts read them from one input this way.
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view text) {
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {text, {}};
  return {text.substr(0, nul), text.substr(nul + 1)};
}

// The first byte of `text` as a choice among `count`, and the rest of the text. The digit
// '0', '1', '2'... picks 0, 1, 2... (modulo `count`), so seed files stay readable; any
// other byte picks its value modulo `count`.
inline std::pair<size_t, std::string_view> take_choice(std::string_view text, size_t count) {
  if (text.empty()) return {0, text};
  const unsigned c = static_cast<unsigned char>(text.front());
  return {(c >= '0' ? c - '0' : c) % count, text.substr(1)};
}

}  // namespace gs::fuzz
