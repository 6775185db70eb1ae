#pragma once

#include "gravity_sync/node/pihole_node.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/util/process.hpp"

namespace gs {

// The Pi-hole on this machine: SQLite C API and POSIX calls, no shell.
class LocalNode : public PiholeNode {
 public:
  // `state_dir` holds the lock and the staging area for pushes.
  LocalNode(PiholeLayout layout, BackupPolicy backups, std::string state_dir);

  // Change how long install() waits for a rebuild, the write lock or a journal (tests use
  // short waits).
  void set_waits(SwapWaits waits) { waits_ = waits; }

  Result<NodeProbe> probe(const std::vector<Item>& items) override;
  Result<NodeState> inspect(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Status check_space(Item item, uint64_t bytes, Role role) override;
  std::string staging_dir(Item item) const override;
  void release_replaced(Millis wait) override;
  int major_version() override;
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;

 protected:
  Result<PiholeToml> read_toml() override;
  Result<std::string> read_text_file(Item item) override;
  Result<std::string> read_backup_text(const BackupEntry& entry) override;
  Result<BackupEntry> keep_value_backup(Item item, const std::string& file) override;
  Result<FtlSet> ftl_config_set(const std::string& key, const std::string& json) override;
  void remove_backups(const std::vector<BackupEntry>& entries) override;
  Result<Staged> stage_gravity(NewStaged fresh, const StageOptions& how) override;
  Result<Installed> install_file(const Staged& staged, const ItemState& current) override;
  Result<Installed> restore_file(const BackupEntry& entry, const ItemState& current) override;
  Result<FtlIdentity> ftl_identity() override;
  Result<std::string> run_ftl(const std::vector<std::string>& args, Millis timeout) override;
  Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) override;

 private:
  // A backup of the file `live` in backup_dir (pruned by prune_backups() once the install is done).
  Result<BackupEntry> keep_backup(Item item, const std::string& live);
  // Tables mode: apply the received tables to a snapshot of the live gravity.db, then
  // install that snapshot like any received copy.
  Result<Installed> install_tables(const Staged& staged, const ItemState& current);

  std::string state_dir_;
  SwapWaits waits_;
  std::vector<std::string> replaced_;  // gravity.db files replaced in this run, still linked
};

}  // namespace gs
