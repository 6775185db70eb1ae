#pragma once

#include <optional>
#include <string>

#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/sync/plan.hpp"
#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/json.hpp"

namespace gs {

// The state directory: per remote and item the digests after the last successful
// sync (sync-state.json), and the last run's report (last-run.json).
class StateStore {
 public:
  // `dir` is the config's state_dir; `remote` identifies the peer ("host:port").
  StateStore(std::string dir, std::string remote);

  // Load sync-state.json; a missing file is an empty history.
  Status load();
  std::optional<History> history(Item item) const;
  void set_history(Item item, const History& history);
  // Write sync-state.json atomically.
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
};

}  // namespace gs
