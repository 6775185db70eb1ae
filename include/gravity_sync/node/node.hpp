#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/node/backups.hpp"
#include "gravity_sync/pihole/ftl_status.hpp"
#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/reload.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/clock.hpp"
#include "gravity_sync/util/duration.hpp"
#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/files.hpp"

namespace gs {

// What one node has of one item.
struct ItemState {
  bool exists = false;
  std::string sha256;                 // the digest that decides "in sync" (of the bytes for v5 text files)
  std::string canonical;              // text items: the digest of the canonical form (the same as
                                      // sha256 on v6); used whenever either node runs v6
  std::optional<uint64_t> size;       // of the file; nullopt for v6 values
  std::optional<int64_t> mtime;       // of the file; nullopt for v6 values
  std::optional<int64_t> changed_at;  // when it last changed, as far as the node can tell
                                      // (policy `newer`): the file's mtime, or for a v6
                                      // value pihole.toml's mtime; nullopt when unknown
  uint64_t inode = 0;
  std::optional<size_t> records;  // text items and v6 values: how many records it holds
  int schema_version = 0;  // gravity only
  bool fresh = false;      // gravity only: nothing beyond a fresh install
  bool at_default = false;  // settings: the value is FTL's default (not marked CHANGED)
  std::string set_by_env;  // v6 values: the FTLCONF_ variable that sets it there (read-only
                           // to pihole-FTL --config: the item is skipped for this node)
  std::string error;       // why it could not be read (then ExitCode in `error_code`)
  ExitCode error_code = ExitCode::ok;
};

using NodeState = std::map<Item, ItemState>;

// A local copy of an item ready to be installed on the other node.
struct Staged {
  Item item = Item::gravity;
  std::string path;    // a local temp file, removed when Staged goes
  std::string sha256;  // of the file's bytes as sent, computed while it was written; empty
                       // for a copy made on the node that installs it (nothing travelled)
  uint64_t size = 0;
  std::string digest;               // the sender's digest of the item (what the receiver will have)
  TextForm form = TextForm::bytes;  // text items: the file as it is, or rendered from its records
  bool tables = false;              // gravity: only the configuration tables (sync.gravity_mode: tables)
  std::unique_ptr<RemoveOnExit> cleanup;
};

// A new, empty staged copy of `item`: a private temp file in `dir` (created if
// missing), removed again unless an install renames it into place. `fd` is open on it.
struct NewStaged {
  Staged staged;
  Fd fd;
};
Result<NewStaged> new_staged(Item item, const std::string& dir);

// Fill `fresh` with the v5 file that holds `records` (TextForm::records) and return it.
Result<Staged> staged_records(NewStaged fresh, const Records& records);

// How an item is staged for sending.
struct StageOptions {
  TextForm form = TextForm::bytes;  // text items: bytes (v5 <-> v5) or records (a v6 node)
  bool gravity_tables = false;      // gravity: the configuration tables only
};

// What installing an item did.
struct Installed {
  std::optional<std::string> backup_id;  // the backup of the replaced version
  bool rebuild = false;                  // tables mode: the adlists changed, so gravity must be rebuilt there
  bool queued = false;                   // a v6 value inside begin_values(): set by commit_values()
};

// What became of one v6 value commit_values() set.
struct Committed {
  Item item;
  Status status;  // an error of ErrorKind::set_by_env when an FTLCONF_ variable sets it there
  // Set and in place, but pihole-FTL does not run there (or did not come back from the
  // restart these values made): why, to be owed as a reload until FTL runs.
  std::string ftl_down;
};

// What `check` learns of a node.
struct NodeProbe {
  int major = 0;                      // Pi-hole major version, 0 when unknown
  std::string ftl_version;            // pihole-FTL -v
  int schema_version = 0;             // gravity.db info.version
  std::vector<std::string> problems;  // each a reason Pi-hole is not usable there
};

// The state of the v6 value `item` as the node `where` ("local", "remote") holds it in
// pihole.toml (`toml`, last changed at `mtime`): it always exists (an empty array is an
// empty item); its error when pihole.toml or the value cannot be read.
ItemState value_state(Item item, const Result<PiholeToml>& toml, std::optional<int64_t> mtime, const char* where);

// For `check`: a problem for each v6 value among `items` that sync could not read there.
void add_unreadable_values(NodeProbe& probe, const Result<PiholeToml>& toml, const std::vector<Item>& items,
                           const char* where);

// probe()'s problems with a node's layout, each naming the config key to set
// (`side` is "local" or "remote"): "local.pihole_dir /x does not exist: ...".
std::string missing_dir(const char* side, const char* key, const std::string& dir);
std::string missing_gravity(const char* side, const std::string& db);
std::string missing_command(const char* side, const char* key, const std::string& command);
std::string no_ftl_in_container(const char* side, const PiholeLayout& layout);

// Which end of a transfer a node is.
enum class Role { sending, receiving };

// A lock on a node, released when destroyed.
class NodeLock {
 public:
  virtual ~NodeLock() = default;
};

class Node;

// Spaces out what makes one node's pihole-FTL v6 apply a change: a `--config` set (FTL
// notices pihole.toml changed within 1 s; dns.cnameRecords and dhcp.hosts make it restart
// itself, DNS unanswered for ~1.1 s, the new value served ~2.3 s after the write) and a
// reload signal. Two such changes ~170 ms apart (dns.hosts, then dns.cnameRecords) were
// seen to leave real FTL v6.4.1 hung for good — PID alive, neither DNS nor API answering —
// and a reload signal sent while FTL restarts itself kills it (pihole-real/README.md).
// One per node and run; every change to FTL there goes through it.
class FtlPacer {
 public:
  // Wait until a new change is safe: at least kFtlSettle after the previous one, and
  // after a restart it caused, kFtlRestartSettle and then until FTL is ready again (up to
  // kFtlReadyWait; what happens next reports an FTL that did not come back).
  void before_change(Node& node);

  // Note a change just made to `node`'s FTL; `restarts` when FTL restarts itself to
  // apply it.
  void after_change(Node& node, bool restarts);

 private:
  std::optional<SteadyTime> last_;
  bool restarts_ = false;
};

// Whether setting `item`'s key makes pihole-FTL v6 restart itself (dns.cnameRecords,
// dhcp.hosts, and each settings key FTL flags FLAG_RESTART_FTL; dns.hosts is applied in
// place). Source: pihole-real/README.md, FTL v6.4.1 src/config/config.c, seen in FTL.log as
// "Restarting FTL due to change of dns.cnameRecords" (tests/lab/ftl-restarts measures it
// for every key).
bool ftl_set_restarts(Item item);

// One Pi-hole node, this machine or the remote one. The sync engine is written against
// this interface only, so each direction uses the same code.
class Node {
 public:
  virtual ~Node() = default;

  // Every change to this node's FTL waits its turn here.
  FtlPacer& ftl_pacer() { return ftl_pacer_; }

  // The clock this node's FTL pacing and waits read and sleep on (the real one unless a
  // test sets another, which must outlive the node).
  const Clock& clock() const { return *clock_; }
  void set_clock(const Clock& clock) { clock_ = &clock; }

  // "local" or "remote".
  virtual const char* name() const = 0;

  // Find Pi-hole there: directories, commands, versions; on v6, read the value of each
  // of `items` the way sync reads it (a problem naming the key when it cannot be read).
  virtual Result<NodeProbe> probe(const std::vector<Item>& items) = 0;

  // The state of each of `items`. One round trip for the remote node.
  virtual Result<NodeState> inspect(const std::vector<Item>& items) = 0;

  // Size, mtime and inode of each item's file: cheap change detection, no digests.
  // One round trip for the remote node.
  virtual Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) = 0;

  // The node's clock (seconds since the epoch), to warn when clocks disagree.
  virtual Result<int64_t> now() = 0;

  // Copy `item` into a new local file in `local_dir`: a consistent snapshot for gravity
  // (or, with `gravity_tables`, a tables file of its configuration tables, see
  // sqlite/tables.hpp); for text items the file as it is (`bytes`), or a v5 file rendered
  // from the item's records (`records`, which a v6 node always gives).
  virtual Result<Staged> stage(Item item, const std::string& local_dir, const StageOptions& how) = 0;

  // Check there is room on this node for `bytes` of `item` before anything is written:
  // receiving, for the copy beside the live file and for the backup; sending, for the
  // snapshot. ExitCode::refused when there is not.
  virtual Status check_space(Item item, uint64_t bytes, Role role) = 0;

  // Where a staged copy for installing `item` on this node must be written locally.
  virtual std::string staging_dir(Item item) const = 0;

  // Verify `staged` and replace the live item with it atomically, keeping a backup.
  // `current` is this node's state of the item (for the schema check). On a v6 node a
  // text item is set through `pihole-FTL --config KEY VALUE` from the staged records.
  virtual Result<Installed> install(const Staged& staged, const ItemState& current) = 0;

  // Pi-hole v6 values (custom-dns, cname, static-dhcp, settings) installed on this node
  // between begin_values() and commit_values() are checked and backed up by install()
  // (Installed::queued), then set by commit_values(): those that make FTL restart itself
  // one right after the other, so FTL restarts at most once for all of them (FTL v6.4.1
  // re-reads pihole.toml at most once a second, src/gc.c, and takes ~1 s to shut down for
  // a restart; pihole-real/README.md); once FTL is back, those it applies in place. Then
  // every value is read back (a value FTL does not hold fails its item) and FTL must run
  // (else the values are owed a reload: Committed::ftl_down). A v5 node queues nothing.
  virtual void begin_values() {}
  virtual std::vector<Committed> commit_values() { return {}; }

  // Before anything is swapped in there: whether the reload that applies it can run (the
  // `pihole` and `pihole-FTL` commands, or the container's runtime, are found there).
  // ExitCode::refused naming what is missing, so nothing changes on a node whose reload
  // would fail.
  virtual Status reload_ready() = 0;

  // For `check`: read the text item or v6 value `item` there the way stage() reads it and
  // check it as a receiving node would (validate_text_item). ExitCode::refused naming the
  // node and the line that would be refused; nothing for gravity (inspect checks it).
  virtual Status check_item(Item item) = 0;

  // For `check`, read-only (nothing is created): whether a sync could take this node's lock
  // (the lock file, or the directory it would be made in, writable; flock(1) found there)
  // and keep a backup of each of `items` (each backup directory one a sync would accept, or
  // could make). ExitCode::refused naming a symbolic link or another user's directory;
  // ExitCode::failure naming what cannot be written.
  virtual Status check_writable(const std::vector<Item>& items) = 0;

  // Run the `pihole` reload for `level` there (none does nothing). Use reload_when_ready(),
  // which never signals an FTL that cannot take it.
  virtual Status reload(Reload level) = 0;

  // Whether that node's pihole-FTL runs and catches the reload signals (see ftl_status.hpp).
  virtual Result<FtlStatus> ftl_status() = 0;

  // Unlink the gravity.db files this node's installs replaced in this run. An install keeps
  // the replaced file linked beside the live one (as `.gravity-sync.old.*`) until FTL has
  // reopened the database, so FTL v6 sees a renamed file (which it ignores) rather than an
  // unlinked one ("file unlinked while open" in FTL.log). Call after the reload; waits up to
  // `wait` for every process to close the old file, and leaves it to the next run's
  // clean_stale() otherwise.
  virtual void release_replaced(Millis wait) = 0;

  // Rebuild gravity there (`pihole -g`), after its adlists changed in tables mode.
  virtual Status rebuild_gravity() = 0;

  // Pi-hole's major version there (5 or 6).
  virtual int major_version() = 0;

  // Take this node's gravity-sync lock, waiting up to `wait` (ExitCode::locked after).
  virtual Result<std::unique_ptr<NodeLock>> lock(Millis wait) = 0;

  // Remove temp files a killed run left behind. Call while holding the lock.
  virtual void clean_stale() = 0;

  // The backups kept on this node, oldest first.
  virtual Result<std::vector<BackupEntry>> backups() = 0;

  // Put the backup `entry` back in place (checked, atomic, backed up first).
  virtual Result<Installed> restore(const BackupEntry& entry, const ItemState& current) = 0;

 private:
  FtlPacer ftl_pacer_;
  const Clock* clock_ = &real_clock();
};

// Reload `node` with `level` the safe way: wait up to `wait` until its FTL catches the
// reload signals (never signal a starting FTL: it would die), run the reload, and check
// FTL still runs afterwards (for a full restart: that it came back). ExitCode::failure
// naming the node when FTL is not running — the new configuration is in place and loads
// when FTL starts, but it is not served now.
Status reload_when_ready(Node& node, Reload level, Millis wait);

// Poll `node`'s FTL until it is ready, or `wait` is over, or it has not been running for
// 5 s (FTL v6 removes its PID file for about a second while it restarts itself); the last
// status seen.
Result<FtlStatus> wait_until_ready(Node& node, Millis wait);

// How long reload_when_ready() waits for FTL to become ready (FTL v6 restarts itself in
// about 1-2 s, longer with a large query history to import).
inline constexpr Millis kFtlReadyWait{20'000};

// The least time between two changes to one node's FTL, and after one that makes FTL
// restart itself (FtlPacer). FTL reads pihole.toml once a second and takes ~1 s to shut
// down for its restart.
inline constexpr Millis kFtlSettle{1'500};
inline constexpr Millis kFtlRestartSettle{3'000};

// How long an install may wait, after the reload, for FTL to close the replaced gravity.db.
inline constexpr Millis kReleaseWait{3'000};

// How long `pihole -g` may take (it downloads every blocklist).
inline constexpr Millis kRebuildTimeout{3'600'000};

// The prefix of the names of every temp file gravity-sync creates beside live files.
inline constexpr const char* kTempPrefix = ".gravity-sync.";

}  // namespace gs
