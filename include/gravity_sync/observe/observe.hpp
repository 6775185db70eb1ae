#pragma once

#include <chrono>
#include <string>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/sync/engine.hpp"

namespace gs {

// Which peer a run was with: its name (label `peer`, $GRAVITY_SYNC_PEER) and "host:port"
// ($GRAVITY_SYNC_REMOTE).
struct PeerRef {
  std::string name;
  std::string remote;
};

// After a sync/pull/push run (one-shot, or a daemon cycle that ran one): update the
// Prometheus textfile if `metrics.textfile` is set, and run `hooks.on_success` (the run
// changed something and succeeded) or `hooks.on_failure` (it failed). Never fails the
// run: problems are logged. Names of metrics and variables: docs/OBSERVABILITY.md.
void observe_run(const Config& config, const PeerRef& peer, const RunReport& report, std::chrono::milliseconds duration);

// Update the peer's counters in <state_dir>/metrics.json and rewrite `metrics.textfile`
// (if set), every peer's series labelled with its name.
void update_metrics(const Config& config, const PeerRef& peer, const RunReport& report, std::chrono::milliseconds duration);

// Run `command` with /bin/sh and `hooks.timeout`, the outcome of `report` in its
// environment. Returns true when it exited 0.
bool run_hook(const Config& config, const std::string& command, const PeerRef& peer, const RunReport& report);

}  // namespace gs
