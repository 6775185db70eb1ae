#pragma once

#include "gravity_sync/node/node.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/util/process.hpp"

namespace gs {

// Where a node keeps its backups and how many.
struct BackupPolicy {
  std::string dir;
  int keep = 10;
};

// How long an install waits for a gravity rebuild to finish, and for SQLite's write lock on
// the live database (a writer finishing) and then for a hot journal to go away; the same on
// both nodes.
struct SwapWaits {
  Millis rebuild{30'000};
  Millis journal{10'000};
};

// The Pi-hole on this machine: SQLite C API and POSIX calls, no shell.
class LocalNode : public Node {
 public:
  // `state_dir` holds the lock and the staging area for pushes.
  LocalNode(PiholeLayout layout, BackupPolicy backups, std::string state_dir);

  // Change how long install() waits for a rebuild or a journal (tests use short waits).
  void set_waits(SwapWaits waits) { waits_ = waits; }

  const char* name() const override { return "local"; }
  Result<NodeProbe> probe(const std::vector<Item>& items) override;
  Result<NodeState> inspect(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Result<Staged> stage(Item item, const std::string& local_dir, const StageOptions& how) override;
  Status check_space(Item item, uint64_t bytes, bool receiving) override;
  std::string staging_dir(Item item) const override;
  Result<Installed> install(const Staged& staged, const ItemState& current) override;
  Status reload(Reload level) override;
  Result<FtlStatus> ftl_status() override;
  void release_replaced(Millis wait) override;
  Status rebuild_gravity() override;
  int major_version() override;
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;
  Result<Installed> restore(const BackupEntry& entry, const ItemState& current) override;

 private:
  struct KeptBackup {
    std::string id;
    std::string path;
  };
  // A backup of `live` in backup_dir (pruned by prune_backups() once the install is done).
  Result<KeptBackup> keep_backup(Item item, const std::string& live);
  // `pihole-FTL --config ARGS...` on this node (through its container, if any).
  Result<ProcessResult> ftl_config(std::vector<std::string> args);
  // pihole.toml of this v6 node, parsed.
  Result<PiholeToml> read_toml();
  // The records of a text item: from its v5 file, or from pihole.toml on v6.
  Result<Records> read_records(Item item);
  // v6: back up the current value, then set `records` through FTL.
  Result<Installed> install_records(Item item, const Records& records);
  // Tables mode: apply the received tables to a snapshot of the live gravity.db, then
  // install that snapshot like any received copy.
  Result<Installed> install_tables(const Staged& staged, const ItemState& current);
  // Run `pihole ARGS...` here (through the container, if any).
  Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what);
  void prune_backups(Item item);

  PiholeLayout layout_;
  BackupPolicy backups_;
  std::string state_dir_;
  SwapWaits waits_;
  std::optional<std::string> pid_file_;  // FTL's PID file as FTL sees it, once known
  int sigrtmin_ = 34;
  std::vector<std::string> replaced_;  // gravity.db files replaced in this run, still linked
};

}  // namespace gs
