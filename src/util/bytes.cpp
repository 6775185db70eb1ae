#include "gravity_sync/util/bytes.hpp"

#include <sys/random.h>
#include <cerrno>

namespace gs {

void random_bytes(void* out, size_t size) {
  auto* p = static_cast<unsigned char*>(out);
  size_t got = 0;
  while (got < size) {
    // Blocks only until the kernel's pool is initialized once after boot; EINTR retries.
    const ssize_t n = ::getrandom(p + got, size - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
}

std::string random_hex(size_t size) {
  std::string bytes(size, '\0');
  random_bytes(bytes.data(), size);
  return hex_encode(bytes);
}

std::string hex_encode(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (char c : data) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex, HexCase digits) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [digits](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F' && digits == HexCase::any) return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace gs
