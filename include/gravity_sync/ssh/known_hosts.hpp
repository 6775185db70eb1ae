#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <libssh/libssh.h>

namespace gs {

// Reading and rewriting gravity-sync's known_hosts file, in OpenSSH's format (sshd(8),
// "SSH_KNOWN_HOSTS FILE FORMAT"): `patterns type base64-key [comment]` per line, the
// patterns a comma-separated list of names — `host` for port 22, `[host]:port` otherwise —
// or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Wildcards and
// `@cert-authority` / `@revoked` markers are not interpreted (such lines are kept).

// The name known_hosts uses for `host` on `port`.
std::string known_hosts_name(const std::string& host, int port);

// One key known_hosts holds for a host: its type ("ssh-ed25519") and SHA256 fingerprint
// ("SHA256:..."; empty when the key cannot be parsed).
struct KnownKey {
  std::string type;
  std::string fingerprint;
};

// The keys `text` (a known_hosts file) holds for `host` on `port`, in file order.
std::vector<KnownKey> known_keys(std::string_view text, const std::string& host, int port);

// `text` without its lines for `host` on `port` (every other line kept as it was).
std::string without_host(std::string_view text, const std::string& host, int port);

// The SHA256 fingerprint of `key` as OpenSSH prints it ("SHA256:..."), or empty.
std::string key_fingerprint(ssh_key key);

}  // namespace gs
