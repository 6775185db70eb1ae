#include "gravity_sync/util/sha256.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include "gravity_sync/util/bytes.hpp"
#include "gravity_sync/util/fd.hpp"
#include "gravity_sync/util/files.hpp"

namespace gs {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
}

void Sha256::update(const void* data, size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string sha256_hex(std::string_view data) {
  Sha256 sha;
  sha.update(data);
  return sha.hex_digest();
}

Result<std::string> sha256_file(const std::string& path, int copy_to_fd, uint64_t* size) {
  auto opened = open_regular(path, Follow::no);
  if (!opened) return opened.error();
  Fd fd = std::move(*opened);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ExitCode::failure, "cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    sha.update(buf.data(), static_cast<size_t>(n));
    if (copy_to_fd >= 0) {
      if (auto st = write_all(copy_to_fd, buf.data(), static_cast<size_t>(n)); !st) return st.error();
    }
    total += static_cast<uint64_t>(n);
  }
  if (size) *size = total;
  return sha.hex_digest();
}

}  // namespace gs
