#pragma once

// Bytes as text and bytes from the kernel: hex (as sqlite's hex() and `od -tx1` print it)
// and random names.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gs {

// `size` bytes from the kernel's random source (getrandom(2)) at `out`.
void random_bytes(void* out, size_t size);

// `size` random bytes as lowercase hex (2 * size characters): a name or nonce no other
// user can predict.
std::string random_hex(size_t size);

// `data` as lowercase hex.
std::string hex_encode(std::string_view data);

// Which digits hex_decode takes: SQLite's hex() prints uppercase, `od -tx1` lowercase.
enum class HexCase { any, lower };

// The bytes of hex text (two digits a byte, nothing else), or nullopt.
std::optional<std::string> hex_decode(std::string_view hex, HexCase digits = HexCase::any);

}  // namespace gs
