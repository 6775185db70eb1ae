#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/node/node.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/sqlite/gravity.hpp"

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

// A copy of an item on a node, where only gravity-sync can reach it, on its way in: locally
// a file in the private staging directory, remotely the file `name` in a private directory
// beside the live item there (docs/REMOTE.md). Removed unless it is swapped in.
// The refusal of a swap whose live file (or v6 value) `live` changed after the run read
// it (NodeCopy::expect): ExitCode::refused naming it; the caller names node and item.
Error changed_meanwhile(const std::string& live);

// A live file's identity as NodeCopy::expect and swap.sh spell it: "SIZE MTIME INODE"
// (mtime in seconds, as `stat -c '%s %Y %i'` prints it).
std::string file_identity(uint64_t size, int64_t mtime, uint64_t inode);

struct NodeCopy {
  Item item = Item::gravity;
  std::string place;   // local: the file's path; remote: the private directory's path
  std::string name;    // remote: the file's name in `place`
  std::string sha256;  // what its bytes must hash to; empty for a copy made on the node
  uint64_t size = 0;
  std::string text;    // a text item's copy of a backup: its content, checked before it goes in
  // The live file as the run read it, "SIZE MTIME INODE" (seconds), or "-" when it was
  // missing: swap_copy replaces it only if it is still that file (a write that landed since
  // is never overwritten unseen). Empty: not checked.
  std::string expect;
  std::unique_ptr<RemoveOnExit> owned;  // local: removes a copy made here unless swapped in
  RemoveOnExit* cleanup = nullptr;      // local: what removes the file unless swapped in
};

// Tables mode, receiving: a copy of the live gravity.db with the received configuration
// tables in place.
struct TablesCopy {
  NodeCopy copy;
  bool adlists_changed = false;  // gravity must then be rebuilt there
};

// What a node's files say of one item (inspect), as read there.
struct ItemFile {
  FileInfo info;               // exists, size, mtime, inode
  std::string text;            // a v5 text file's content (at most kMaxTextItem bytes)
  GravityDigest gravity;       // a gravity.db's configuration digest, schema version, freshness
  std::optional<Error> error;  // why it cannot be read, naming the node
};

// What inspect reads on a node, in one round trip there: the files of the items that are
// files (gravity.db; the v5 text files), and pihole.toml when a v6 value was asked for.
struct ItemFiles {
  std::map<Item, ItemFile> files;
  std::optional<Result<PiholeToml>> toml;  // parsed, or why it cannot be (naming the node)
  std::optional<int64_t> toml_mtime;
};

// The Pi-hole procedure of a node, written once for both: reading text items and v6
// values, staging text items, installing a gravity.db or v5 file (verify, wait out a
// rebuild, back up, swap under the write lock), setting a v6 value (back up, pace, set
// through FTL, read back), restoring, pruning backups, reloading and asking FTL's status.
// It is written over the primitives below, which LocalNode implements with POSIX calls
// and the SQLite C API and RemoteNode with the remote verbs (docs/REMOTE.md).
class PiholeNode : public Node {
 public:
  PiholeNode(Side side, PiholeLayout layout, BackupPolicy backups);

  const char* name() const override { return side_name(side_); }
  Result<NodeState> inspect(const std::vector<Item>& items) override;

  // Change how long an install waits for a rebuild, the write lock or a journal (tests use
  // short waits).
  void set_waits(SwapWaits waits) { waits_ = waits; }

  Result<Staged> stage(Item item, const std::string& local_dir, const StageOptions& how) override;
  Result<Installed> install(const Staged& staged, const ItemState& current) override;
  Result<Installed> restore(const BackupEntry& entry, const ItemState& current) override;
  Status reload_ready() override;
  Status check_item(Item item) override;
  Status reload(Reload level) override;
  Status rebuild_gravity() override;
  Result<FtlStatus> ftl_status() override;

 protected:
  // --- primitives ---
  // The files of `items` there and, when one is a v6 value, pihole.toml (ItemFiles); an
  // Error only when nothing could be read.
  virtual Result<ItemFiles> read_items(const std::vector<Item>& items) = 0;
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
  // Each of `values` (key, VALUE) set so, one right after the other; FTL's answer to each,
  // in order. An error when the answers could not all be had (some may have been set).
  virtual Result<std::vector<FtlSet>> ftl_config_set_all(const std::vector<std::pair<std::string, std::string>>& values);
  // Remove these backups (paths built by backup_entry(), never listed names).
  virtual void remove_backups(const std::vector<BackupEntry>& entries) = 0;
  // Stage a gravity.db (a snapshot, or the configuration tables) into `fresh`.
  virtual Result<Staged> stage_gravity(NewStaged fresh, const StageOptions& how) = 0;
  // Count bytes that travelled for a staged text item (the remote's transfer total).
  virtual void count_staged(const Staged&) {}
  // Put the staged local file where this node installs from (RemoteNode: upload it).
  virtual Result<NodeCopy> receive_copy(const Staged& staged) = 0;
  // A copy of the file backup `entry` (a text item's with its content in `text`).
  virtual Result<NodeCopy> backup_copy(const BackupEntry& entry) = 0;
  // Tables mode: check the received tables file `tables` against the sender's digest
  // `digest` and the live schema, and apply it to a snapshot of the live gravity.db in one
  // transaction; the result must have `digest`.
  virtual Result<TablesCopy> apply_received_tables(const NodeCopy& tables, const std::string& digest,
                                             const ItemState& current) = 0;
  // Check `copy`: its checksum, and a database's integrity and schema version (`want`; 0:
  // any). The verdict may come later (LocalNode checks a database's integrity while the
  // backup is taken).
  virtual std::future<Status> verify_copy(const NodeCopy& copy, int want) = 0;
  // Whether `pihole -g` is rebuilding gravity there (gravity.db_temp exists).
  virtual Result<bool> rebuilding() = 0;
  // Keep a backup of the live file `copy` is to replace; nullopt when there is none.
  // ExitCode::refused when the live path is not a regular file or there is no room.
  virtual Result<std::optional<BackupEntry>> keep_file_backup(const NodeCopy& copy) = 0;
  // Swap the verified `copy` in over the live file, atomically: the owner and mode of the
  // file it replaces (of the directory for a new one), synced; a gravity.db under SQLite's
  // write lock with no journal beside it (waiting waits_.journal), the replaced file kept
  // linked until release_replaced(). `moved` tells whether the rename happened (a check
  // after it may still fail), or may have: a swap cut short without its answer counts as
  // moved, so its backup is kept.
  virtual Status swap_copy(NodeCopy& copy, bool& moved) = 0;
  // Remove a copy that will not go in.
  virtual void discard_copy(const NodeCopy& copy) = 0;
  // What finds FTL's PID file and signals there.
  virtual Result<FtlIdentity> ftl_identity() = 0;
  // Run `pihole-FTL ARGS...` there: what it printed on stdout and stderr.
  virtual Result<std::string> run_ftl(const std::vector<std::string>& args, Millis timeout) = 0;
  // Which of `commands` are not found there (on the PATH, or as given when they hold a '/').
  virtual Result<std::vector<std::string>> missing_commands(const std::vector<std::string>& commands) = 0;
  // Run `pihole ARGS...` there; an error naming the command and its last words.
  virtual Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) = 0;

  // --- the procedure's own steps, for the nodes ---
  // The records of a text item: from its v5 file, or its value in pihole.toml on v6.
  Result<Records> read_records(Item item);
  // v6: back up the current value, then set `records` through FTL and read it back.
  // Refused (changed_meanwhile, exit 5) when the value is no longer `current`'s (the
  // state this run read), unless `current` has no digest.
  Result<Installed> install_records(Item item, const Records& records, const ItemState& current);
 public:
  void begin_values() override;
  std::vector<Committed> commit_values() override;
 protected:
  // Remove backups of `item` beyond backup.keep (backups_to_prune).
  void prune_backups(Item item);

  Side side_;
  PiholeLayout layout_;
  BackupPolicy backups_;
  SwapWaits waits_;

 private:
  std::optional<std::string> pid_file_;  // FTL's PID file as FTL sees it, once known
  int sigrtmin_ = 34;
  // A v6 value install_records() checked and backed up, for commit_values() to set.
  struct QueuedValue {
    Item item;
    std::string value;   // what `pihole-FTL --config KEY VALUE` is given
    std::string digest;  // records_digest of what it must hold afterwards
    std::optional<BackupEntry> kept;  // none when nothing was there to keep
    bool made_backup = true;          // `kept` was made for this install (not an earlier one reused)
  };
  std::optional<std::vector<QueuedValue>> queued_;  // set between begin_values and commit_values
  // Set `values` through FTL (restart keys first, then the others once FTL is back) and
  // read them back; what became of each. install_records (alone) and commit_values use it.
  std::vector<Committed> set_values(std::vector<QueuedValue> values);

  // Install a gravity.db or v5 file: receive the staged copy (tables mode: apply the
  // tables to a snapshot there), then install_copy().
  Result<Installed> install_file(const Staged& staged, const ItemState& current);
  // Put a file backup back in place, checked like a received copy.
  Result<Installed> restore_file(const BackupEntry& entry, const ItemState& current);
  // Verify `copy`, wait out a gravity rebuild, back up the live file, swap. On a refusal
  // nothing is replaced, and the copy and the backup made for it are removed.
  Result<Installed> install_copy(NodeCopy& copy, const ItemState& current);
};

}  // namespace gs
