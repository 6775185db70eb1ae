#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/pihole/ftl_keys.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// The `settings` item (Pi-hole v6): pihole.toml keys, each compared and synced on its own.
//
// A key's value travels and is compared in its *canonical form*: one line of JSON for the
// TOML value FTL wrote — `true`, `42`, `0.5`, `"lan"`, `["1.1.1.1","9.9.9.9"]` — read from
// pihole.toml with toml++ (so a string holding ", " stays one string), and written back
// only through `pihole-FTL --config KEY VALUE` (setting_cli_value).

// Where a key belongs (docs/PIHOLE-V6.md has the table and the reason for each).
enum class SettingClass {
  offered,  // safe to keep alike: `sync.settings` lists it when the config names none
  allowed,  // safe, but not offered: list it in `sync.settings`
  node,     // belongs to one node (interfaces, ports, DHCP range, web server, passwords,
            // files...): only under `sync.settings_unsafe`
  never,    // cannot be synced at all: FTL will not write it through --config (read-only,
            // write-only, pseudo), or another item syncs it (dns.hosts: custom-dns, ...)
};

// The class of `key`, and why (for a config error), for a key FTL knows.
struct SettingVerdict {
  SettingClass cls;
  std::string why;  // empty for offered and allowed keys
};
SettingVerdict setting_class(const FtlKey& key);

// The keys offered by default, in ftl_keys() order.
std::vector<const FtlKey*> offered_settings();

// The canonical form of `value` for a key of `type`: ExitCode::refused naming the key when
// `json` is not one line of JSON of that type (a string or array entry holding a control
// character other than a tab included: FTL would write it into dnsmasq's configuration),
// or longer than kMaxFtlValue. `json` comes from a peer or a backup: it is data.
Result<std::string> canonical_setting(const FtlKey& key, std::string_view json);

// The VALUE `pihole-FTL --config KEY VALUE` takes for a canonical form: a string or an
// enumeration as itself (no quotes: FTL would keep them as part of the value), anything
// else as its JSON text (an array must be JSON). FTL v6.4.1, src/config/config.c
// readStringValue; measured by tests/lab/ftl-restarts' run (docs/PIHOLE-V6.md).
std::string setting_cli_value(const FtlKey& key, std::string_view canonical);

}  // namespace gs
