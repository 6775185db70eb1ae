#pragma once

#include <chrono>
#include <string>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/sync/engine.hpp"

namespace gs {

// After a sync/pull/push run (one-shot, or a daemon cycle that ran one): update the
// Prometheus textfile if `metrics.textfile` is set, and run `hooks.on_success` (the run
// changed something and succeeded) or `hooks.on_failure` (it failed). Never fails the
// run: problems are logged. Names of metrics and variables: docs/OBSERVABILITY.md.
void observe_run(const Config& config, const RunReport& report, std::chrono::milliseconds duration);

// Update the counters in <state_dir>/metrics.json and rewrite `metrics.textfile` (if set).
void update_metrics(const Config& config, const RunReport& report, std::chrono::milliseconds duration);

// Run `command` with /bin/sh and `hooks.timeout`, the outcome of `report` in its
// environment. Returns true when it exited 0.
bool run_hook(const Config& config, const std::string& command, const RunReport& report);

}  // namespace gs
