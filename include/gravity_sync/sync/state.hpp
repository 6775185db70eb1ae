#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/node/backups.hpp"
#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/pihole/reload.hpp"
#include "gravity_sync/sync/plan.hpp"
#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/json.hpp"

namespace gs {

// A reload that failed after files were swapped in on a node (CONTRACT.md: *pending*): the
// new configuration is in place but not served. Every later run retries it first; until it
// succeeds the items stay failed.
struct PendingReload {
  Reload level = Reload::none;  // the reload still owed
  bool rebuild = false;         // tables mode: `pihole -g` is owed too
  std::vector<Item> items;      // the items swapped in and not yet applied
  int64_t since = 0;            // when the first of them was swapped in (seconds since the epoch)
  std::string error;            // why the last try failed
};

// An item's version on this node that a pull brought, and when it was made on the node it
// came from. Policy `newer` goes by when each side last changed; a pulled copy's own mtime
// is the time of the pull, so in a hub a change pulled from one peer would look newer than
// a later one made on another peer.
struct PulledVersion {
  std::string digest;      // the item's digest as that run compared it (sha256 or canonical)
  std::string canonical;   // text items: the digest of its records (ItemState::canonical)
  int64_t changed_at = 0;  // the sender's ItemState::changed_at (its clock, seconds)
};

// `pending` as sync-state.json and `status --json` show it: {"level", "rebuild", "items",
// "since", "error"}.
Json pending_reload_json(const PendingReload& pending);

// The state directory: per remote and item the digests after the last successful
// sync, and per remote and node a pending reload (sync-state.json), and the last run's
// report (last-run.json).
class StateStore {
 public:
  // `dir` is the config's state_dir; `remote` identifies the peer ("host:port").
  StateStore(std::string dir, std::string remote);

  // Load sync-state.json; a missing file is an empty history.
  Status load();
  std::optional<History> history(Item item) const;
  // (set_history also forgets env_skipped.)
  void set_history(Item item, const History& history);
  // The node on which an FTLCONF_ variable set `item` when a run last skipped it for that
  // (a v6 value), or nullopt; set or clear it (saved by save()).
  std::optional<Side> env_skipped(Item item) const;
  void set_env_skipped(Item item, std::optional<Side> side);
  // The reload owed on node `side` of this peer, if any; set or clear it (saved by save()).
  std::optional<PendingReload> pending_reload(Side side) const;
  void set_pending_reload(Side side, const PendingReload& pending);
  void clear_pending_reload(Side side);
  // Add to what node `side` owes: `level` (the heavier of it and what is owed), `rebuild`,
  // `items` (each once), `error` as the last failure; `now` (seconds since the epoch)
  // starts the debt when none was owed.
  void owe_reload(Side side, Reload level, bool rebuild, const std::vector<Item>& items, const std::string& error,
                  int64_t now);

  // The version of `item` a pull last put on this node, whichever peer it came from.
  std::optional<PulledVersion> pulled_version(Item item) const;
  void set_pulled_version(Item item, const PulledVersion& version);

  // Write sync-state.json atomically: this peer's part, and this node's pending reload
  // if this store set or cleared it, and the pulled versions it set, over the file's
  // current content (thread-safe).
  Status save();

  // Write / read last-run.json.
  Status save_last_run(const Json& run);
  std::optional<Json> last_run() const;

  // Write / read daemon.json: the running daemon's state and next check (best effort).
  void save_daemon_status(const Json& status);
  std::optional<Json> daemon_status() const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string remote_;
  Json doc_ = Json::object();
  bool local_touched_ = false;  // this node's pending reload was set or cleared
  std::vector<Item> pulled_touched_;  // the items whose pulled version was set
};

}  // namespace gs
