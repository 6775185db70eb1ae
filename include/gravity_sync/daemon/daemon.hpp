#pragma once

#include <string>

#include "gravity_sync/util/clock.hpp"
#include "gravity_sync/log/log.hpp"

namespace gs {

// Run the daemon in the foreground until SIGTERM/SIGINT: every sync.interval, look at
// both nodes cheaply (stat) and run sync.mode for what changed; local changes start a
// cycle at once (inotify). Returns 0 after a stop, 2 when the config at start is bad;
// never exits on a failure after start (it logs the change of state, backs off, retries).
// Every time it reads comes from `clock`.
int run_daemon(const std::string& config_path, Verbosity verbosity, const Clock& clock = real_clock());

}  // namespace gs
