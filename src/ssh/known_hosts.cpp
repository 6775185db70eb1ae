#include "gravity_sync/ssh/known_hosts.hpp"

#include <cctype>
#include <memory>
#include <optional>

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

// One known_hosts line, split: its marker ("" / "@revoked" / "@cert-authority"), host
// patterns, key type and base64 key, and where the patterns start and end in the line.
struct Entry {
  std::string_view marker, patterns, type, key;
  size_t patterns_at = 0;
};

std::optional<Entry> parse_entry(std::string_view line) {
  auto f = fields(line);
  if (f.empty() || f[0].front() == '#') return std::nullopt;
  Entry e;
  size_t i = 0;
  if (f[0].front() == '@') e.marker = f[i++];
  if (f.size() < i + 3) return std::nullopt;
  e.patterns = f[i];
  e.type = f[i + 1];
  e.key = f[i + 2];
  e.patterns_at = static_cast<size_t>(e.patterns.data() - line.data());
  return e;
}

// ssh_config(5) PATTERNS: `*` any run of characters, `?` any one (OpenSSH match_pattern).
bool wildcard_match(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// How an entry's patterns name `name`: not at all, by the name itself (or its hash), or
// only through a wildcard. A matching negated pattern (`!name`) means not at all.
enum class Naming { none, exact, wildcard };

Naming naming(std::string_view patterns, const std::string& name) {
  const std::string want = lower(name);
  Naming found = Naming::none;
  while (true) {
    const auto comma = patterns.find(',');
    std::string_view p = patterns.substr(0, comma);
    const bool negated = !p.empty() && p.front() == '!';
    if (negated) p.remove_prefix(1);
    const bool wild = p.find_first_of("*?") != std::string_view::npos;
    const bool hit = p.rfind("|1|", 0) == 0 ? hashed_match(p, name) : wildcard_match(want, lower(p));
    if (hit && negated) return Naming::none;
    if (hit && !negated) found = (wild && found != Naming::exact) ? Naming::wildcard : Naming::exact;
    if (comma == std::string_view::npos) break;
    patterns.remove_prefix(comma + 1);
  }
  return found;
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
    auto e = parse_entry(line);
    if (!e || !e->marker.empty() || naming(e->patterns, name) != Naming::exact) return;
    KnownKey k{std::string(e->type), ""};
    ssh_key raw = nullptr;
    const std::string b64(e->key);
    if (ssh_pki_import_pubkey_base64(b64.c_str(), ssh_key_type_from_name(k.type.c_str()), &raw) == SSH_OK) {
      std::unique_ptr<ssh_key_struct, KeyDeleter> key(raw);
      k.fingerprint = key_fingerprint(key.get());
    }
    out.push_back(k);
  });
  return out;
}

HostKeyCheck check_host_key(std::string_view text, const std::string& host, int port, const std::string& type,
                            const std::string& key_base64) {
  const std::string name = known_hosts_name(host, port);
  HostKeyCheck out;
  bool known = false, same_type = false, other_type = false, revoked = false;
  size_t number = 0;
  each_line(text, [&](std::string_view line) {
    ++number;
    auto e = parse_entry(line);
    if (!e) return;
    const Naming how = naming(e->patterns, name);
    if (how == Naming::none) return;
    const bool same_key = e->type == type && e->key == key_base64;
    if (e->marker == "@revoked") {
      revoked = revoked || same_key;
      return;
    }
    if (!e->marker.empty()) return;  // @cert-authority: host certificates are not used
    if (same_key) {
      known = true;
    } else {
      (e->type == type ? same_type : other_type) = true;
      if (how == Naming::wildcard) out.wildcard_lines.push_back(number);
    }
  });
  out.verdict = revoked       ? HostKeyVerdict::revoked
                : known       ? HostKeyVerdict::known
                : same_type   ? HostKeyVerdict::changed
                : other_type  ? HostKeyVerdict::other_type
                              : HostKeyVerdict::unknown;
  return out;
}

std::string without_host(std::string_view text, const std::string& host, int port) {
  const std::string name = known_hosts_name(host, port);
  std::string out;
  each_line(text, [&](std::string_view line) {
    auto e = parse_entry(line);
    if (!e || !e->marker.empty() || naming(e->patterns, name) != Naming::exact) {
      out.append(line);
      return;
    }
    // The other names of the line stay pinned: only this one (or its hash) goes.
    std::string kept;
    std::string_view patterns = e->patterns;
    while (true) {
      const auto comma = patterns.find(',');
      const std::string_view p = patterns.substr(0, comma);
      const bool ours = lower(p) == lower(name) || hashed_match(p, name);
      if (!ours) kept += (kept.empty() ? "" : ",") + std::string(p);
      if (comma == std::string_view::npos) break;
      patterns.remove_prefix(comma + 1);
    }
    if (kept.empty()) return;
    out.append(line.substr(0, e->patterns_at));
    out.append(kept);
    out.append(line.substr(e->patterns_at + e->patterns.size()));
  });
  return out;
}

}  // namespace gs
