#include "gravity_sync/sync/restore.hpp"


#include <spdlog/spdlog.h>

namespace gs {

Result<std::vector<BackupEntry>> all_backups(Node& local, Node& remote) {
  auto all = local.backups();
  if (!all) return all.error();
  auto theirs = remote.backups();
  if (!theirs) return theirs.error();
  all->insert(all->end(), theirs->begin(), theirs->end());
  return all;
}

Result<Restored> restore_backup(Node& local, Node& remote, StateStore& state, const std::string& id,
                                Millis lock_wait, Millis ftl_wait) {
  auto all = all_backups(local, remote);
  if (!all) return all.error();
  const BackupEntry* entry = nullptr;
  for (const auto& b : *all) {
    if (b.id == id) entry = &b;
  }
  if (!entry) return make_error(ExitCode::usage, "no backup with id " + id + " (see `gravity-sync backups`)");
  Node& node = entry->side == Side::local ? local : remote;
  auto local_lock = local.lock(lock_wait);
  if (!local_lock) return local_lock.error();
  std::unique_ptr<NodeLock> remote_lock;
  if (&node == &remote) {
    auto lock = remote.lock(lock_wait);
    if (!lock) return lock.error();
    remote_lock = std::move(*lock);
  }
  // Nothing goes in where the reload that applies it could not run.
  if (auto st = node.reload_ready(); !st) return with_context(st.error(), "restore " + id);
  auto current = node.inspect({entry->item});
  if (!current) return current.error();
  auto installed = node.restore(*entry, (*current)[entry->item]);
  if (!installed) return with_context(installed.error(), "restore " + id);
  const Reload level = reload_for(entry->item, node.major_version());
  auto reloaded = reload_when_ready(node, level, ftl_wait);
  node.release_replaced(kReleaseWait);
  if (!reloaded) {
    // In place but not served: owed by that node until a reload runs (as after a sync).
    if (state.load()) {
      state.owe_reload(entry->side, level, false, {entry->item}, reloaded.error().message, node.clock().wall());
      if (auto st = state.save(); !st) spdlog::warn("cannot record the pending reload: {}", st.error().message);
    }
    return make_error(ExitCode::failure, "restored, but the reload failed (it is pending: every run retries it): " +
                                             reloaded.error().message);
  }
  return Restored{*entry, installed->backup_id};
}

}  // namespace gs
