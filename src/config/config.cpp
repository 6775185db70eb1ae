#include "gravity_sync/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include "gravity_sync/pihole/settings.hpp"
#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

// Whether `value` holds only ASCII letters, digits and characters of `extra`.
bool only_chars(const std::string& value, const char* extra) {
  return std::all_of(value.begin(), value.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(extra, c) != nullptr;
  });
}

// Walks the YAML tree; every error names the file, the 1-based line and the dotted key.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& problem) const {
    const int line = at.Mark().is_null() ? 0 : at.Mark().line + 1;
    throw ConfigError(path_ + ":" + std::to_string(line) + ": " + key + ": " + problem);
  }

  using Handler = std::function<void(const YAML::Node& value, const std::string& key)>;

  // Check that `node` is a map whose keys are all in `handlers`, none twice; run the handlers.
  void map(const YAML::Node& node, const std::string& prefix, const std::map<std::string, Handler>& handlers) const {
    if (node.IsNull()) return;
    if (!node.IsMap()) fail(node, prefix.empty() ? "(top level)" : prefix, "must be a mapping of keys to values");
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string key = prefix.empty() ? name : prefix + "." + name;
      auto handler = handlers.find(name);
      if (handler == handlers.end()) fail(it->first, key, "unknown key");
      if (!seen.insert(name).second) fail(it->first, key, "given twice");
      handler->second(it->second, key);
    }
  }

  // A list of pihole.toml keys for the settings item (`unsafe`: sync.settings_unsafe, where
  // keys of one node are allowed). Each must be a key FTL knows and gravity-sync can carry.
  std::vector<Item> settings(const YAML::Node& node, const std::string& key, bool unsafe) const {
    if (!node.IsSequence()) fail(node, key, "must be a list of pihole.toml keys such as [dns.upstreams, dns.dnssec]");
    std::vector<Item> out;
    for (const auto& entry : node) {
      const std::string name = scalar(entry, key);
      const FtlKey* ftl = find_ftl_key(name);
      if (!ftl) fail(entry, key, "\"" + name + "\" is not a key of Pi-hole v6's pihole.toml (as `pihole-FTL --config` lists them)");
      const Item item = Item::setting(*ftl);
      SyncConfig as_listed;
      if (unsafe) as_listed.settings_unsafe.push_back(item);
      if (auto st = check_setting_allowed(as_listed, item, ""); !st) fail(entry, key, st.error().message);
      for (Item seen : out) {
        if (seen == item) fail(entry, key, "\"" + name + "\" is listed twice");
      }
      out.push_back(item);
    }
    return out;
  }

  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "must be a single value");
    const std::string value = node.Scalar();
    if (has_control_chars(value)) fail(node, key, "must not contain control characters");
    return value;
  }

  std::string string(const YAML::Node& node, const std::string& key, bool allow_empty = true) const {
    if (node.IsNull()) {
      if (allow_empty) return "";
      fail(node, key, "must not be empty");
    }
    std::string value = scalar(node, key);
    if (!allow_empty && value.empty()) fail(node, key, "must not be empty");
    return value;
  }

  std::string path(const YAML::Node& node, const std::string& key) const {
    std::string value = string(node, key, false);
    if (value.front() != '/') fail(node, key, "\"" + value + "\" must be an absolute path");
    // Paths travel inside remote shell scripts and sqlite3 dot-commands.
    if (value.find_first_of("'\"\\") != std::string::npos) {
      fail(node, key, "\"" + value + "\" must not contain quotes or backslashes");
    }
    return value;
  }

  bool boolean(const YAML::Node& node, const std::string& key) const {
    const std::string value = scalar(node, key);
    if (value == "true" || value == "yes" || value == "on") return true;
    if (value == "false" || value == "no" || value == "off") return false;
    fail(node, key, "\"" + value + "\" is not true or false");
  }

  int integer(const YAML::Node& node, const std::string& key, int min, int max) const {
    const std::string value = scalar(node, key);
    char* end = nullptr;
    long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || n < min || n > max) {
      fail(node, key, "\"" + value + "\" is not a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max));
    }
    return static_cast<int>(n);
  }

  Millis duration(const YAML::Node& node, const std::string& key) const {
    const std::string value = scalar(node, key);
    auto d = parse_duration(value);
    if (!d) fail(node, key, "\"" + value + "\" is not a duration (a positive whole number with ms, s, m or h)");
    return *d;
  }

  template <typename Enum>
  Enum choice(const YAML::Node& node, const std::string& key, const std::map<std::string, Enum>& choices) const {
    const std::string value = scalar(node, key);
    auto it = choices.find(value);
    if (it == choices.end()) {
      std::string names;
      for (const auto& [name, e] : choices) names += (names.empty() ? "" : ", ") + name;
      fail(node, key, "\"" + value + "\" is not one of " + names);
    }
    return it->second;
  }

  std::string container(const YAML::Node& node, const std::string& key) const {
    std::string value = string(node, key);
    if (!value.empty() && value.rfind("docker:", 0) != 0 && value.rfind("podman:", 0) != 0) {
      fail(node, key, "\"" + value + "\" must be docker:NAME or podman:NAME");
    }
    if ((value == "docker:" || value == "podman:")) fail(node, key, "\"" + value + "\" names no container");
    const std::string name = value.substr(value.find(':') + 1);
    if (!value.empty() && (name.front() == '-' || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                        "0123456789_.-") != std::string::npos)) {
      fail(node, key, "\"" + name + "\" is not a container name (letters, digits, '_', '.', '-')");
    }
    return value;
  }

  void layout(const YAML::Node& node, const std::string& key, PiholeLayout& out,
              std::map<std::string, Handler> extra = {}) const {
    extra["pihole_dir"] = [&](const YAML::Node& v, const std::string& k) { out.pihole_dir = path(v, k); };
    extra["dnsmasq_dir"] = [&](const YAML::Node& v, const std::string& k) { out.dnsmasq_dir = path(v, k); };
    extra["pihole_command"] = [&](const YAML::Node& v, const std::string& k) { out.pihole_command = string(v, k, false); };
    extra["ftl_command"] = [&](const YAML::Node& v, const std::string& k) { out.ftl_command = string(v, k, false); };
    extra["container"] = [&](const YAML::Node& v, const std::string& k) { out.container = container(v, k); };
    map(node, key, extra);
  }

  // One peer's keys (`remote:`, or an entry of `remotes:` with `name` when `named`).
  void remote(const YAML::Node& node, const std::string& key, RemoteConfig& out, bool named) const {
    bool have_host = false;
    bool have_name = false;
    std::map<std::string, Handler> keys = {
      {"host", [&](const YAML::Node& v, const std::string& k) {
        out.host = string(v, k, false);
        // A name or an address (IPv6 with its zone): it travels into known_hosts patterns
        // and the commands init prints, so nothing else (no user@, no spaces, no globs).
        if (!only_chars(out.host, "._:%-") || out.host.front() == '-' || out.host.front() == '.') {
          fail(v, k, "\"" + out.host + "\" is not a host name or address (the user goes in remote.user)");
        }
        have_host = true;
      }},
      {"port", [&](const YAML::Node& v, const std::string& k) { out.port = integer(v, k, 1, 65535); }},
      {"user", [&](const YAML::Node& v, const std::string& k) {
        out.user = string(v, k, false);
        // A login name as useradd(8) takes it: it travels into the commands init prints.
        if (!only_chars(out.user, "._-") || out.user.front() == '-' || out.user.size() > 32) {
          fail(v, k, "\"" + out.user + "\" is not a user name (letters, digits, '.', '_', '-'; at most 32)");
        }
      }},
      {"identity_file", [&](const YAML::Node& v, const std::string& k) { out.identity_file = path(v, k); }},
      {"known_hosts", [&](const YAML::Node& v, const std::string& k) { out.known_hosts = path(v, k); }},
      {"sudo", [&](const YAML::Node& v, const std::string& k) { out.sudo = boolean(v, k); }},
      {"compression", [&](const YAML::Node& v, const std::string& k) { out.compression = boolean(v, k); }},
      {"connect_timeout", [&](const YAML::Node& v, const std::string& k) { out.connect_timeout = duration(v, k); }},
      {"backup_dir", [&](const YAML::Node& v, const std::string& k) { out.backup_dir = path(v, k); }},
    };
    if (named) {
      keys["name"] = [&](const YAML::Node& v, const std::string& k) {
        out.name = string(v, k, false);
        // It names the peer in --peer, state, metrics labels and hook variables.
        if (out.name.size() > 63 || !std::all_of(out.name.begin(), out.name.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            })) {
          fail(v, k, "\"" + out.name + "\" is not a peer name (a-z, 0-9 and '-'; at most 63)");
        }
        have_name = true;
      };
    }
    if (node.IsNull()) fail(node, key + ".host", "is required");
    if (!node.IsMap()) fail(node, key, "must be a mapping of keys to values");
    layout(node, key, out.layout, keys);
    if (named && !have_name) fail(node, key + ".name", "is required");
    if (!have_host) fail(node, key + ".host", "is required");
  }

 private:
  std::string path_;
};

}  // namespace

Config parse_config(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": (syntax): " + e.msg);
  }
  Config cfg;
  cfg.path = path;
  Reader r(path);
  using H = Reader::Handler;
  using N = YAML::Node;
  using S = std::string;

  r.map(root, "", {
    {"remote", H([&](const N& node, const S& key) {
      RemoteConfig remote;
      r.remote(node, key, remote, false);
      remote.name = remote.host;
      cfg.remotes.push_back(std::move(remote));
    })},
    {"remotes", H([&](const N& node, const S& key) {
      if (!node.IsSequence() || node.size() == 0) {
        r.fail(node, key, "must be a list of peers, each with its name and host");
      }
      for (size_t i = 0; i < node.size(); ++i) {
        const S at = key + "[" + std::to_string(i) + "]";
        RemoteConfig remote;
        r.remote(node[i], at, remote, true);
        for (const auto& seen : cfg.remotes) {
          if (seen.name == remote.name) r.fail(node[i]["name"], at + ".name", "\"" + remote.name + "\" is given twice");
          // The sync history is kept per host and port (CONTRACT.md).
          if (seen.host == remote.host && seen.port == remote.port) {
            r.fail(node[i]["host"], at + ".host", remote.host + " port " + std::to_string(remote.port) +
                                                    " is peer \"" + seen.name + "\" already");
          }
        }
        cfg.remotes.push_back(std::move(remote));
      }
      cfg.named_peers = true;
    })},
    {"local", H([&](const N& node, const S& key) { r.layout(node, key, cfg.local); })},
    {"sync", H([&](const N& node, const S& key) {
      std::optional<size_t> settings_at;  // where `settings` stands in sync.items
      bool settings_given = false;
      r.map(node, key, {
        {"items", [&](const N& v, const S& k) {
          if (!v.IsSequence()) r.fail(v, k, "must be a list such as [gravity, custom-dns, cname]");
          cfg.sync.items.clear();
          for (const auto& entry : v) {
            const S name = r.scalar(entry, k);
            if (name == kSettingsName) {
              if (settings_at) r.fail(entry, k, "\"settings\" is listed twice");
              settings_at = cfg.sync.items.size();
              continue;
            }
            auto item = parse_item(name);
            if (!item || item->is_setting()) {
              r.fail(entry, k, "\"" + name + "\" is not an item (gravity, custom-dns, cname, static-dhcp, settings)");
            }
            for (Item seen : cfg.sync.items) {
              if (seen == *item) r.fail(entry, k, "\"" + name + "\" is listed twice");
            }
            cfg.sync.items.push_back(*item);
          }
        }},
        {"mode", [&](const N& v, const S& k) {
          cfg.sync.mode = r.choice<SyncMode>(v, k, {{"sync", SyncMode::sync}, {"pull", SyncMode::pull}, {"push", SyncMode::push}});
        }},
        {"conflict", [&](const N& v, const S& k) {
          cfg.sync.conflict = r.choice<ConflictPolicy>(v, k, {{"remote", ConflictPolicy::remote}, {"local", ConflictPolicy::local},
                                                              {"newer", ConflictPolicy::newer}, {"skip", ConflictPolicy::skip}});
        }},
        {"settings", [&](const N& v, const S& k) {
          cfg.sync.settings = r.settings(v, k, false);
          settings_given = true;
        }},
        {"settings_unsafe", [&](const N& v, const S& k) { cfg.sync.settings_unsafe = r.settings(v, k, true); }},
        {"interval", [&](const N& v, const S& k) { cfg.sync.interval = r.duration(v, k); }},
        {"gravity_mode", [&](const N& v, const S& k) {
          cfg.sync.gravity_mode = r.choice<GravityMode>(v, k, {{"file", GravityMode::file}, {"tables", GravityMode::tables}});
        }},
      });
      if (!settings_given) {
        for (const FtlKey* k : offered_settings()) cfg.sync.settings.push_back(Item::setting(*k));
      }
      for (Item unsafe : cfg.sync.settings_unsafe) {
        for (Item safe : cfg.sync.settings) {
          if (safe == unsafe) {
            r.fail(node["settings_unsafe"], key + ".settings_unsafe",
                   std::string(unsafe.ftl_setting()->key) + " is in sync.settings too");
          }
        }
      }
      if (settings_at && cfg.sync.settings.empty() && cfg.sync.settings_unsafe.empty()) {
        r.fail(node["settings"], key + ".settings",
               "lists no key, and sync.items has settings: name the keys to sync, or take settings out of sync.items");
      }
      if (settings_at) {
        std::vector<Item> keys = cfg.sync.settings;
        keys.insert(keys.end(), cfg.sync.settings_unsafe.begin(), cfg.sync.settings_unsafe.end());
        cfg.sync.items.insert(cfg.sync.items.begin() + static_cast<std::ptrdiff_t>(*settings_at), keys.begin(),
                              keys.end());
      }
    })},
    {"backup", H([&](const N& node, const S& key) {
      r.map(node, key, {
        {"dir", [&](const N& v, const S& k) { cfg.backup_dir = r.path(v, k); }},
        {"keep", [&](const N& v, const S& k) { cfg.backup_keep = r.integer(v, k, 1, 1000); }},
      });
    })},
    {"state_dir", H([&](const N& v, const S& k) { cfg.state_dir = r.path(v, k); })},
    {"log", H([&](const N& node, const S& key) {
      r.map(node, key, {
        {"level", [&](const N& v, const S& k) {
          const S level = r.scalar(v, k);
          if (level != "debug" && level != "info" && level != "warn" && level != "error") {
            r.fail(v, k, "\"" + level + "\" is not one of debug, info, warn, error");
          }
          cfg.log_level = level;
        }},
      });
    })},
    {"hooks", H([&](const N& node, const S& key) {
      r.map(node, key, {
        {"on_success", [&](const N& v, const S& k) {
          cfg.hooks.on_success = r.string(v, k);
        }},
        {"on_failure", [&](const N& v, const S& k) {
          cfg.hooks.on_failure = r.string(v, k);
        }},
        {"timeout", [&](const N& v, const S& k) { cfg.hooks.timeout = r.duration(v, k); }},
      });
    })},
    {"metrics", H([&](const N& node, const S& key) {
      r.map(node, key, {
        {"textfile", [&](const N& v, const S& k) {
          cfg.metrics_textfile = r.string(v, k);
          if (!cfg.metrics_textfile.empty() && cfg.metrics_textfile.front() != '/') {
            r.fail(v, k, "\"" + cfg.metrics_textfile + "\" must be an absolute path");
          }
        }},
      });
    })},
  });
  if (cfg.remotes.empty()) throw ConfigError(path + ":1: remote.host: is required");
  if (root.IsMap() && root["remote"] && root["remotes"]) {
    r.fail(root["remotes"], "remotes", "give either remote: (one peer) or remotes: (a list), not both");
  }
  return cfg;
}

Config load_config(const std::string& path) {
  // The config's hooks run as the user who runs gravity-sync (root): a config another user
  // owns or may write would run that user's commands as root.
  auto info = stat_file(path);
  if (info.ok() && info->exists &&
      ((info->uid != ::geteuid() && info->uid != 0) || (info->mode & 022) != 0)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info->mode & 07777));
    throw ConfigError(path + ":0: (file): owner uid " + std::to_string(info->uid) + ", mode " + mode +
                      ": a config that another user owns or may write could run commands as root through its "
                      "hooks; make it root's and not writable by others (chown root FILE; chmod go-w FILE)");
  }
  auto text = read_file(path);
  if (!text) throw ConfigError(path + ":0: (file): " + text.error().message);
  return parse_config(*text, path);
}

Result<std::vector<RemoteConfig>> select_peers(const Config& config, const std::optional<std::string>& given) {
  if (!given) return config.remotes;
  const std::string& names = *given;
  std::vector<std::string> wanted;
  size_t start = 0;
  while (start <= names.size()) {
    const size_t comma = std::min(names.find(',', start), names.size());
    wanted.push_back(names.substr(start, comma - start));
    start = comma + 1;
  }
  for (const auto& name : wanted) {
    if (std::none_of(config.remotes.begin(), config.remotes.end(), [&](const RemoteConfig& r) { return r.name == name; })) {
      std::string known;
      for (const auto& r : config.remotes) known += (known.empty() ? "" : ", ") + r.name;
      return make_error(ExitCode::usage, "--peer: \"" + name + "\" is not a peer of " + config.path + " (" + known + ")");
    }
  }
  std::vector<RemoteConfig> out;
  for (const auto& r : config.remotes) {
    if (std::find(wanted.begin(), wanted.end(), r.name) != wanted.end()) out.push_back(r);
  }
  return out;
}

std::string yaml_quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string resolve_config_path(const std::string& cli_path) {
  if (!cli_path.empty()) return cli_path;
  if (const char* env = std::getenv("GRAVITY_SYNC_CONFIG"); env && *env) return env;
  return kDefaultConfigPath;
}

const char* to_string(SyncMode mode) {
  switch (mode) {
    case SyncMode::sync: return "sync";
    case SyncMode::pull: return "pull";
    case SyncMode::push: return "push";
  }
  return "sync";
}

const char* to_string(ConflictPolicy policy) {
  switch (policy) {
    case ConflictPolicy::remote: return "remote";
    case ConflictPolicy::local: return "local";
    case ConflictPolicy::newer: return "newer";
    case ConflictPolicy::skip: return "skip";
  }
  return "remote";
}

Status check_setting_allowed(const SyncConfig& sync, Item item, const std::string& where) {
  const FtlKey* key = item.ftl_setting();
  if (!key) return {};
  const SettingVerdict verdict = setting_class(*key);
  if (verdict.cls == SettingClass::never) {
    return make_error(ExitCode::usage, where + std::string(key->key) + " cannot be synced: " + verdict.why);
  }
  if (verdict.cls == SettingClass::node) {
    for (Item unsafe : sync.settings_unsafe) {
      if (unsafe == item) return {};
    }
    return make_error(ExitCode::usage, where + std::string(key->key) + " is refused: " + verdict.why +
                                           ". To sync it anyway, list it under sync.settings_unsafe");
  }
  return {};
}

}  // namespace gs
