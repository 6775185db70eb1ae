#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/util/duration.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

enum class SyncMode { sync, pull, push };
enum class ConflictPolicy { remote, local, newer, skip };
enum class GravityMode { file, tables };

// One peer: a node reached over SSH (`remote:`, or one entry of `remotes:`).
struct RemoteConfig {
  std::string name;  // `remotes:` entries: required, unique, [a-z0-9-]+; `remote:`: its host
  std::string host;  // required
  int port = 22;
  std::string user = "root";
  std::string identity_file = "/etc/gravity-sync/id_ed25519";
  std::string known_hosts = "/etc/gravity-sync/known_hosts";
  bool sudo = false;
  bool compression = false;  // zlib on the SSH stream: wins only on slow links (docs/PERFORMANCE.md)
  Millis connect_timeout{10'000};
  PiholeLayout layout;
  std::string backup_dir = "/var/lib/gravity-sync/backups";
};

struct SyncConfig {
  // The items synced, in order; `settings` in the file stands for every key of `settings`
  // and `settings_unsafe` (each a settings item), in its place.
  std::vector<Item> items{Item::gravity, Item::custom_dns, Item::cname};
  // The pihole.toml keys of the `settings` item (v6): `sync.settings` (default: the keys
  // offered, pihole/settings.hpp), then `sync.settings_unsafe` (keys of one node, synced
  // because the admin says so).
  std::vector<Item> settings;
  std::vector<Item> settings_unsafe;
  SyncMode mode = SyncMode::sync;
  ConflictPolicy conflict = ConflictPolicy::remote;
  Millis interval{15'000};
  GravityMode gravity_mode = GravityMode::file;
};

struct HooksConfig {
  std::string on_success;
  std::string on_failure;
  Millis timeout{30'000};
};

// Whether a settings item may be synced under `config`: ExitCode::usage saying why not for a
// key that belongs to one node (pihole/settings.hpp SettingClass::node) and is not under
// sync.settings_unsafe, and for a key gravity-sync never syncs. `where` starts the message.
Status check_setting_allowed(const SyncConfig& sync, Item item, const std::string& where);

// The whole configuration file, parsed once; defaults are those of CONTRACT.md.
struct Config {
  std::string path;  // the file it came from
  // The peers, in the order the file lists them: `remote:` is one peer named after its
  // host, `remotes:` a list of named ones. Never empty.
  std::vector<RemoteConfig> remotes;
  bool named_peers = false;  // the file says `remotes:` (reports then name every peer)
  PiholeLayout local;
  SyncConfig sync;
  std::string backup_dir = "/var/lib/gravity-sync/backups";
  int backup_keep = 10;
  std::string state_dir = "/var/lib/gravity-sync";
  std::string log_level = "info";
  HooksConfig hooks;
  std::string metrics_textfile;
};

// The peers of `config` named in `names` (comma-separated, as --peer takes them; nullopt,
// no --peer: every peer), in the config's order. Error (exit 2) naming an unknown or
// empty name (`--peer ""` from an empty script variable must not mean "all").
Result<std::vector<RemoteConfig>> select_peers(const Config& config, const std::optional<std::string>& names);

// A configuration that cannot be used. what() is "FILE:LINE: KEY: problem".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Read and validate the YAML file at `path`. Throws ConfigError.
Config load_config(const std::string& path);

// Parse YAML `text` as if it came from a file named `path`. Throws ConfigError.
Config parse_config(const std::string& text, const std::string& path);

// `value` as a double-quoted YAML scalar, for writing configs (init, import-legacy).
std::string yaml_quote(const std::string& value);

// Where the config is read from when neither -c nor $GRAVITY_SYNC_CONFIG says otherwise
// (the path the systemd units use).
inline constexpr const char* kDefaultConfigPath = "/etc/gravity-sync/gravity-sync.yaml";

// The config path: `cli_path` if given, else $GRAVITY_SYNC_CONFIG, else the default.
std::string resolve_config_path(const std::string& cli_path);

const char* to_string(SyncMode mode);
const char* to_string(ConflictPolicy policy);

}  // namespace gs
