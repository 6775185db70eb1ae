#include "gravity_sync/util/shell.hpp"

#include <cctype>
#include <cstdint>

namespace gs {

std::string shell_quote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string shell_word(std::string_view word) {
  bool plain = !word.empty();
  for (char c : word) {
    const auto u = static_cast<unsigned char>(c);
    plain = plain && ((u < 0x80 && std::isalnum(u)) || std::string_view("/._-:@+=,").find(c) != std::string_view::npos);
  }
  return plain ? std::string(word) : shell_quote(word);
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + shell_quote(w);
  return out;
}

std::string join_args(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string printable(std::string_view text, size_t max) {
  // Keeps printable ASCII and well-formed UTF-8 outside the C1 controls (U+0080-U+009F,
  // which some terminals obey as escape sequences); every other byte becomes '?'.
  text = text.substr(0, max);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x80) {
      out.push_back(u < 0x20 || u == 0x7f ? '?' : static_cast<char>(u));
      ++i;
      continue;
    }
    const size_t len = u >= 0xf0 && u <= 0xf4 ? 4 : u >= 0xe0 ? 3 : u >= 0xc2 && u <= 0xdf ? 2 : 0;
    uint32_t cp = len == 4 ? (u & 0x07u) : len == 3 ? (u & 0x0fu) : (u & 0x1fu);
    bool ok = len != 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      ok = (c & 0xc0) == 0x80;
      cp = (cp << 6) | (c & 0x3fu);
    }
    const uint32_t min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
    ok = ok && cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) && (cp < 0x80 || cp > 0x9f);
    if (!ok) {
      out.push_back('?');
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

bool has_control_chars(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace gs
