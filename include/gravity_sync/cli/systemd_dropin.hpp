#pragma once

#include <string>
#include <vector>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs::cli {

// The directories the units may write whatever the config says (systemd/*.service.in,
// ReadWritePaths=, each tolerated when missing): Pi-hole's default directories, the
// state directory and /run.
const std::vector<std::string>& unit_writable_paths();

// What `config` has this node write (local.pihole_dir, local.dnsmasq_dir, backup.dir,
// state_dir, metrics.textfile's directory) that unit_writable_paths() does not cover,
// lexically normal (`..` resolved), without repeats, in that order. Under ProtectSystem=strict everything else is
// read-only to the daemon, and a write there fails with EROFS (systemd.exec(5)).
std::vector<std::string> extra_writable_paths(const Config& config);

// The drop-in text adding `paths` to the unit's ReadWritePaths=, each quoted for
// systemd ("-" prefix: a missing path is tolerated; `"` and `\` escaped, `%` doubled
// against specifier expansion; systemd.syntax(7), systemd.unit(5) "Specifiers").
// Error (usage): a path holding a control character, which no unit line can carry, and
// "/", which would lift ProtectSystem= altogether.
Result<std::string> render_paths_dropin(const std::vector<std::string>& paths, const std::string& config_path);

// Whether `path` names the config the units read (kDefaultConfigPath), however spelt
// ("/etc/gravity-sync//gravity-sync.yaml", "/etc/gravity-sync/./gravity-sync.yaml").
bool is_default_config(const std::string& path);

// Where init keeps the drop-in of `unit` ("gravity-sync.service") under `unit_dir`.
std::string paths_dropin_file(const std::string& unit_dir, const std::string& unit);

// Make both units' drop-ins under `unit_dir` (normally /etc/systemd/system) say what
// extra_writable_paths(config) says: written when there are such paths, removed when
// there are none. Returns one line per file, saying what was done ("" when nothing
// changed). Nothing is done when `unit_dir` does not exist (no systemd here).
Result<std::string> update_paths_dropins(const Config& config, const std::string& unit_dir);

}  // namespace gs::cli
