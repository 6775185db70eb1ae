#include "gravity_sync/sync/restore.hpp"

namespace gs {

Result<std::vector<BackupEntry>> all_backups(Node& local, Node& remote) {
  auto all = local.backups();
  if (!all) return all.error();
  auto theirs = remote.backups();
  if (!theirs) return theirs.error();
  all->insert(all->end(), theirs->begin(), theirs->end());
  return all;
}

Result<Restored> restore_backup(Node& local, Node& remote, const std::string& id, Millis lock_wait, Millis ftl_wait) {
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
  auto state = node.inspect({entry->item});
  if (!state) return state.error();
  auto installed = node.restore(*entry, (*state)[entry->item]);
  if (!installed) return with_context(installed.error(), "restore " + id);
  auto reloaded = reload_when_ready(node, reload_for(entry->item, node.major_version()), ftl_wait);
  node.release_replaced(kReleaseWait);
  if (!reloaded) {
    return make_error(ExitCode::failure, "restored, but the reload failed: " + reloaded.error().message);
  }
  return Restored{*entry, installed->backup_id};
}

}  // namespace gs
