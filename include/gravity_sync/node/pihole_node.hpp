#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/node/node.hpp"
#include "gravity_sync/pihole/layout.hpp"

namespace gs {

// How long an install waits for a gravity rebuild to finish, and for SQLite's write lock on
// the live database (a writer finishing) and then for a hot journal to go away; the same on
// both nodes.
struct SwapWaits {
  Millis rebuild{30'000};
  Millis journal{10'000};
};

// What finds pihole-FTL's PID file and signals on a node (pihole/ftl_status.hpp).
struct FtlIdentity {
  std::string toml;      // pihole.toml (v6), as it is; empty when unreadable
  std::string conf;      // pihole-FTL.conf (v5), as it is; empty when unreadable
  std::string sigrtmin;  // what `pihole-FTL sigrtmin` printed (v6)
};

// What `pihole-FTL --config KEY VALUE` did.
struct FtlSet {
  int exit_code = 0;
  std::string output;  // what it printed, for a message
};

// The Pi-hole procedure of a node, written once for both: reading text items and v6
// values, staging text items, setting a v6 value (back up, pace, set through FTL, read
// back), restoring, pruning backups, reloading and asking FTL's status. It is written over
// the primitives below, which LocalNode implements with POSIX calls and the SQLite C API
// and RemoteNode with the remote verbs (docs/REMOTE.md). A gravity.db or v5 file is
// installed by install_file(), the same steps on both nodes (verify, back up, swap under
// the write lock): in C++ locally, as the verb `install` remotely.
class PiholeNode : public Node {
 public:
  PiholeNode(Side side, PiholeLayout layout, BackupPolicy backups);

  const char* name() const override { return side_name(side_); }
  Result<Staged> stage(Item item, const std::string& local_dir, const StageOptions& how) override;
  Result<Installed> install(const Staged& staged, const ItemState& current) override;
  Result<Installed> restore(const BackupEntry& entry, const ItemState& current) override;
  Status reload(Reload level) override;
  Status rebuild_gravity() override;
  Result<FtlStatus> ftl_status() override;

 protected:
  // --- primitives ---
  // pihole.toml of this v6 node, parsed (errors name the node).
  virtual Result<PiholeToml> read_toml() = 0;
  // `item`'s v5 file as it is: a regular file only, at most kMaxTextItem bytes.
  virtual Result<std::string> read_text_file(Item item) = 0;
  // The text backup `entry` as it is (the same limits).
  virtual Result<std::string> read_backup_text(const BackupEntry& entry) = 0;
  // Store `file` (a v6 value as the v5 file that holds it) as a new backup of `item`.
  virtual Result<BackupEntry> keep_value_backup(Item item, const std::string& file) = 0;
  // `pihole-FTL --config KEY JSON` there.
  virtual Result<FtlSet> ftl_config_set(const std::string& key, const std::string& json) = 0;
  // Remove these backups (paths built by backup_entry(), never listed names).
  virtual void remove_backups(const std::vector<BackupEntry>& entries) = 0;
  // Stage a gravity.db (a snapshot, or the configuration tables) into `fresh`.
  virtual Result<Staged> stage_gravity(NewStaged fresh, const StageOptions& how) = 0;
  // Count bytes that travelled for a staged text item (the remote's transfer total).
  virtual void count_staged(const Staged&) {}
  // Verify the staged gravity.db or v5 file and swap it in over the live item, keeping a
  // backup (the text already checked).
  virtual Result<Installed> install_file(const Staged& staged, const ItemState& current) = 0;
  // Put the file backup `entry` back in place, checked like a received copy.
  virtual Result<Installed> restore_file(const BackupEntry& entry, const ItemState& current) = 0;
  // What finds FTL's PID file and signals there.
  virtual Result<FtlIdentity> ftl_identity() = 0;
  // Run `pihole-FTL ARGS...` there: what it printed on stdout and stderr.
  virtual Result<std::string> run_ftl(const std::vector<std::string>& args, Millis timeout) = 0;
  // Run `pihole ARGS...` there; an error naming the command and its last words.
  virtual Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) = 0;

  // --- the procedure's own steps, for the nodes ---
  // The records of a text item: from its v5 file, or its value in pihole.toml on v6.
  Result<Records> read_records(Item item);
  // v6: back up the current value, then set `records` through FTL and read it back.
  Result<Installed> install_records(Item item, const Records& records);
  // Remove backups of `item` beyond backup.keep (backups_to_prune).
  void prune_backups(Item item);

  Side side_;
  PiholeLayout layout_;
  BackupPolicy backups_;

 private:
  std::optional<std::string> pid_file_;  // FTL's PID file as FTL sees it, once known
  int sigrtmin_ = 34;
};

}  // namespace gs
