#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "gravity_sync/util/error.hpp"

namespace gs {

// Incremental SHA-256 (OpenSSL EVP). `update` with data, `hex_digest` once at the end.
class Sha256 {
 public:
  Sha256();
  // Feed `size` bytes at `data`.
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // The lowercase hex digest of everything fed so far. Call once.
  std::string hex_digest();

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// The hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// The hex SHA-256 of the file at `path`, read in blocks. When `copy_to_fd` >= 0 the
// bytes are also written there; `size`, if given, receives the number of bytes.
Result<std::string> sha256_file(const std::string& path, int copy_to_fd = -1, uint64_t* size = nullptr);

}  // namespace gs
