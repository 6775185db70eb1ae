#include "gravity_sync/cli/context.hpp"

namespace gs::cli {

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = {
      {"compare", "show each item's state and the action `sync` would take; changes nothing", setup_compare},
      {"sync", "two-way sync: move each item that changed to the other node", setup_sync},
      {"pull", "make this node equal to the remote for every item that differs", setup_pull},
      {"push", "make the remote equal to this node for every item that differs", setup_push},
      {"daemon", "stay in the foreground and sync whenever a change is seen (systemd)", setup_daemon},
      {"status", "the last run's outcome, from the state directory; no network", setup_status},
      {"check", "validate the config, connect, and find Pi-hole on both nodes; changes nothing", setup_check},
      {"backups", "list the backups kept on both nodes", setup_backups},
      {"restore", "put a backup back in place on its node and reload Pi-hole there", setup_restore},
      {"init", "first-run set-up: key, config, pinned host key, then check", setup_init},
      {"import-legacy", "turn a Gravity Sync 4.x gravity-sync.conf into this YAML", setup_import_legacy},
      {"version", "print the version", setup_version},
  };
  return table;
}

}  // namespace gs::cli
