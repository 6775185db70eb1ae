#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <libssh/libssh.h>

namespace gs {

// Reading and rewriting gravity-sync's known_hosts file, in OpenSSH's format (sshd(8),
// "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] patterns type base64-key [comment]` per line
// (LF or CRLF), the patterns a comma-separated list of names — `host` for port 22,
// `[host]:port` otherwise — with `*` and `?` wildcards and `!` negation (ssh_config(5)
// PATTERNS), or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
// `@revoked` keys are refused whatever else the file says; `@cert-authority` lines are
// not used (gravity-sync does not take host certificates). Stricter than ssh(1) in one
// way: a host on a port other than 22 is looked up as `[host]:port` only, where ssh also
// accepts a key pinned for the bare `host` ("found matching key w/out port").

// The name known_hosts uses for `host` on `port`.
std::string known_hosts_name(const std::string& host, int port);

// One key known_hosts holds for a host: its type ("ssh-ed25519") and SHA256 fingerprint
// ("SHA256:..."; empty when the key cannot be parsed).
struct KnownKey {
  std::string type;
  std::string fingerprint;
};

// The keys `text` (a known_hosts file) pins for `host` on `port` by name or hash (not by
// a wildcard, not revoked), in file order.
std::vector<KnownKey> known_keys(std::string_view text, const std::string& host, int port);

// What `text` says of the key `type` `key_base64` (as ssh_pki_export_pubkey_base64 gives
// it) offered by `host` on `port`, as OpenSSH judges it: revoked when a matching
// `@revoked` line holds it; known when a matching line holds it; changed when matching
// lines hold only other keys of its type; other_type when they hold only other types;
// unknown when no line matches.
enum class HostKeyVerdict { known, changed, other_type, unknown, revoked };
struct HostKeyCheck {
  HostKeyVerdict verdict = HostKeyVerdict::unknown;
  // The lines (1-based numbers) that match the host only through a wildcard and hold
  // another key: without_host() cannot take the host out of them.
  std::vector<size_t> wildcard_lines;
};
HostKeyCheck check_host_key(std::string_view text, const std::string& host, int port, const std::string& type,
                            const std::string& key_base64);

// `text` with `host` on `port` taken out of every line that names it (or its hash): the
// name removed from a line that lists others too, a line left with no name dropped.
// Every other line, `@revoked` ones included, is kept as it was.
std::string without_host(std::string_view text, const std::string& host, int port);

// The SHA256 fingerprint of `key` as OpenSSH prints it ("SHA256:..."), or empty.
std::string key_fingerprint(ssh_key key);

}  // namespace gs
