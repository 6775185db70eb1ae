#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/node/backups.hpp"
#include "gravity_sync/node/node.hpp"
#include "gravity_sync/sync/state.hpp"

namespace gs {

// Every backup kept on either node: this node's, then the remote's, each in id order.
Result<std::vector<BackupEntry>> all_backups(Node& local, Node& remote);

// What restoring a backup did.
struct Restored {
  BackupEntry entry;
  std::optional<std::string> backup_id;  // the backup of what the restore replaced
};

// Put the backup `id` back in place on its node, beside `sync` as a use case: under the
// locks (this node's, and the remote's when the backup is the remote's; ExitCode::locked
// after `lock_wait`), checked like any received copy, the replaced version backed up
// first, then the lightest reload that applies it (waiting up to `ftl_wait` for FTL).
// ExitCode::usage when no backup has that id; ExitCode::refused, before anything changes,
// when the node's reload could not run (Node::reload_ready); ExitCode::failure naming the
// reload when the backup is in place but the reload failed — then the reload is pending in
// `state` (sync-state.json), retried first by the next run, as after a sync.
Result<Restored> restore_backup(Node& local, Node& remote, StateStore& state, const std::string& id,
                                Millis lock_wait, Millis ftl_wait);

}  // namespace gs
