#pragma once

#include <optional>

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

  Result<NodeProbe> probe(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Status check_space(Item item, uint64_t bytes, Role role) override;
  Status check_writable(const std::vector<Item>& items) override;
  std::string staging_dir(Item item) const override;
  void release_replaced(Millis wait) override;
  int major_version() override;
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;

 protected:
  Result<ItemFiles> read_items(const std::vector<Item>& items) override;
  Result<PiholeToml> read_toml() override;
  Result<std::string> read_text_file(Item item) override;
  Result<std::string> read_backup_text(const BackupEntry& entry) override;
  Result<BackupEntry> keep_value_backup(Item item, const std::string& file) override;
  Result<FtlSet> ftl_config_set(const std::string& key, const std::string& json) override;
  void remove_backups(const std::vector<BackupEntry>& entries) override;
  Result<Staged> stage_gravity(NewStaged fresh, const StageOptions& how) override;
  Result<NodeCopy> receive_copy(const Staged& staged) override;
  Result<NodeCopy> backup_copy(const BackupEntry& entry) override;
  Result<TablesCopy> apply_received_tables(const NodeCopy& tables, const std::string& digest,
                                           const ItemState& current) override;
  std::future<Status> verify_copy(const NodeCopy& copy, int want) override;
  Result<bool> rebuilding() override;
  Result<std::optional<BackupEntry>> keep_file_backup(const NodeCopy& copy) override;
  Status swap_copy(NodeCopy& copy, bool& moved) override;
  void discard_copy(const NodeCopy& copy) override;
  Result<FtlIdentity> ftl_identity() override;
  Result<std::string> run_ftl(const std::vector<std::string>& args, Millis timeout) override;
  Result<std::vector<std::string>> missing_commands(const std::vector<std::string>& commands) override;
  Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) override;

 private:
  // A backup of the file `live` in backup_dir (pruned by prune_backups() once the install is done).
  Result<BackupEntry> keep_backup(Item item, const std::string& live);
  std::string state_dir_;
  std::vector<std::string> replaced_;  // gravity.db files replaced in this run, still linked
  std::optional<int> toml_major_;      // what pihole-FTL said while pihole.toml exists (major_version)
};

}  // namespace gs
