#include "gravity_sync/ssh/known_hosts.hpp"

#include <memory>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace gs {

namespace {

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    auto blank = [&](size_t k) { return line[k] == ' ' || line[k] == '\t' || line[k] == '\r' || line[k] == '\n'; };
    while (i < line.size() && blank(i)) ++i;
    size_t j = i;
    while (j < line.size() && !blank(j)) ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string base64_decode(std::string_view in) {
  std::string out(in.size() * 3 / 4 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return "";
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding's zero bytes.
  for (size_t k = in.size(); k > 0 && in[k - 1] == '=' && len > 0; --k) --len;
  out.resize(len);
  return out;
}

// Whether the hashed pattern `|1|salt|hash` stands for `name` (OpenSSH's HashKnownHosts).
bool hashed_match(std::string_view pattern, const std::string& name) {
  if (pattern.rfind("|1|", 0) != 0) return false;
  const auto bar = pattern.find('|', 3);
  if (bar == std::string_view::npos) return false;
  const std::string salt = base64_decode(pattern.substr(3, bar - 3));
  const std::string want = base64_decode(pattern.substr(bar + 1));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (salt.empty() || !HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
                            reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len)) {
    return false;
  }
  return want == std::string(reinterpret_cast<char*>(mac), len);
}

// Whether the known_hosts line `line` is an entry for `name`.
bool names(std::string_view line, const std::string& name) {
  const auto f = fields(line);
  if (f.size() < 3 || f[0].front() == '#' || f[0].front() == '@') return false;
  std::string_view patterns = f[0];
  while (!patterns.empty()) {
    const auto comma = patterns.find(',');
    const std::string_view p = patterns.substr(0, comma);
    if (p == name || hashed_match(p, name)) return true;
    if (comma == std::string_view::npos) break;
    patterns.remove_prefix(comma + 1);
  }
  return false;
}

template <typename F>
void each_line(std::string_view text, F f) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    f(text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

struct KeyDeleter {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};

}  // namespace

std::string known_hosts_name(const std::string& host, int port) {
  return port == 22 ? host : "[" + host + "]:" + std::to_string(port);
}

std::string key_fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) return "";
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
  std::string out = text ? text : "";
  ssh_string_free_char(text);
  ssh_clean_pubkey_hash(&hash);
  return out;
}

std::vector<KnownKey> known_keys(std::string_view text, const std::string& host, int port) {
  const std::string name = known_hosts_name(host, port);
  std::vector<KnownKey> out;
  each_line(text, [&](std::string_view line) {
    if (!names(line, name)) return;
    const auto f = fields(line);
    KnownKey k{std::string(f[1]), ""};
    ssh_key raw = nullptr;
    const std::string b64(f[2]);
    if (ssh_pki_import_pubkey_base64(b64.c_str(), ssh_key_type_from_name(k.type.c_str()), &raw) == SSH_OK) {
      std::unique_ptr<ssh_key_struct, KeyDeleter> key(raw);
      k.fingerprint = key_fingerprint(key.get());
    }
    out.push_back(k);
  });
  return out;
}

std::string without_host(std::string_view text, const std::string& host, int port) {
  const std::string name = known_hosts_name(host, port);
  std::string out;
  each_line(text, [&](std::string_view line) {
    if (!names(line, name)) out.append(line);
  });
  return out;
}

}  // namespace gs
