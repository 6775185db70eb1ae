#include "gravity_sync/daemon/daemon.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <optional>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/util/clock.hpp"
#include "gravity_sync/daemon/schedule.hpp"
#include "gravity_sync/daemon/signals.hpp"
#include "gravity_sync/daemon/watcher.hpp"
#include "gravity_sync/node/peers.hpp"
#include "gravity_sync/observe/observe.hpp"
#include "gravity_sync/sync/engine.hpp"
#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/version.hpp"

namespace gs {

namespace {

// Logs what one daemon cycle cost at debug level (bench/run reads these lines).
class CycleTimer {
 public:
  CycleTimer(const Clock& clock, uint64_t n) : clock_(clock), n_(n), start_(clock.steady()), cpu_(cpu_us()) {}
  ~CycleTimer() {
    const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(clock_.steady() - start_).count();
    spdlog::debug("cycle {}: {} us wall, {} us CPU", n_, wall, cpu_us() - cpu_);
  }

 private:
  static int64_t cpu_us() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1'000'000 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
  }
  const Clock& clock_;
  uint64_t n_;
  SteadyTime start_;
  int64_t cpu_;
};

Command command_for(SyncMode mode) {
  switch (mode) {
    case SyncMode::pull:
      return Command::pull;
    case SyncMode::push:
      return Command::push;
    case SyncMode::sync:
      return Command::sync;
  }
  return Command::sync;
}

void notify(const std::string& message) { sd_notify(0, message.c_str()); }

// The decisions about time and stats are daemon/schedule's pure functions; this class
// reads the clock (only through `clock_`), does the I/O and keeps the state between cycles.
class Daemon {
 public:
  Daemon(Config config, std::string path, Verbosity verbosity, const Clock& clock)
      : config_(std::move(config)),
        path_(std::move(path)),
        verbosity_(verbosity),
        clock_(clock),
        last_used_(clock.steady()),
        last_full_(clock.steady()) {}

  int run() {
    spdlog::info("gravity-sync {} daemon started with {} (remote {}, every {}, mode {})", kVersion, path_,
                 remote_key(config_), format_duration(config_.sync.interval), to_string(config_.sync.mode));
    // Ready once the config is loaded: a remote that is down is a state, not a start failure.
    notify("READY=1\nSTATUS=started; first check now");
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) watchdog_ = Millis(std::max<uint64_t>(usec / 2000, 1));
    make_watcher();

    bool full = true;
    while (!stopping_) {
      cycle(full);
      full = false;
      if (stopping_) break;
      full = wait_for_next();
    }
    notify("STOPPING=1");
    spdlog::info("gravity-sync daemon stopped");
    return 0;
  }

 private:
  void make_watcher() {
    std::vector<std::string> paths;
    // v6 keeps the text items in pihole.toml, which FTL rewrites when one changes.
    const int major = ::access(config_.local.toml_path().c_str(), F_OK) == 0 ? 6 : 5;
    for (Item item : config_.sync.items) paths.push_back(config_.local.watch_path(item, major));
    watcher_.emplace(paths);
  }

  // Report a state once when it changes; repeat only at debug level. `run_failed`: the
  // whole run failed (the connection, the lock): it counts in the metrics here (a run that
  // reached its items counts in cycle()), and spaces the next cycles out (backoff); an
  // item's failure does not (the item has its own retry, UnsettledItems).
  void report(ExitCode code, const std::string& message, bool run_failed = true) {
    if (cancel_requested()) return;  // stopping: an interrupted step is not a state
    // Connection-level states are the code alone (the reason may vary while it lasts);
    // item-level ones include what went wrong.
    const bool connection = code == ExitCode::unreachable || code == ExitCode::host_key || code == ExitCode::locked;
    const std::string key = std::to_string(static_cast<int>(code)) + (connection ? "" : " " + message);
    if (key != last_state_) {
      if (code == ExitCode::ok) {
        spdlog::info("state: {}", message);
      } else {
        spdlog::error("state: {} (exit code {}); retrying with backoff", message, static_cast<int>(code));
      }
      last_state_ = key;
    } else {
      spdlog::debug("state unchanged: {}", message);
    }
    if (code != ExitCode::ok) {
      // Metrics count every failed run; the on_failure hook runs when a failure starts.
      RunReport failure;
      failure.command = command_for(config_.sync.mode);
      failure.code = code;
      failure.error = Error{code, message};
      if (run_failed) update_metrics(config_, failure, Millis(0));
      if (key != last_hooked_ && !config_.hooks.on_failure.empty()) run_hook(config_, config_.hooks.on_failure, failure);
      last_hooked_ = key;
    } else {
      last_hooked_.clear();
    }
    failures_ = code != ExitCode::ok && run_failed ? failures_ + 1 : 0;
    last_code_ = code;
    last_message_ = message;
  }

  void cycle(bool full) {
    const CycleTimer timer(clock_, cycles_ + 1);
    ++cycles_;
    if (full) last_full_ = clock_.steady();
    if (!peers_) {
      auto peers = connect_peers(config_);
      if (!peers) {
        report(peers.error().code, peers.error().message);
        return;
      }
      peers_ = std::move(*peers);
      last_used_ = clock_.steady();
      baseline_.clear();
      full = true;
    }
    const auto& items = config_.sync.items;
    const int64_t stat_time = clock_.wall();
    auto local = peers_->local.stat_items(items);
    auto remote = peers_->remote.stat_items(items);
    last_used_ = clock_.steady();
    if (!local) {
      report(local.error().code, "local: " + local.error().message);
      return;
    }
    if (!remote) {
      peers_.reset();  // the session is probably gone; reconnect next time
      report(ExitCode::unreachable, "remote: " + remote.error().message);
      return;
    }
    // A reload a node still owes is retried by every cycle, changes or not (run_sync does
    // it first).
    StateStore state(config_.state_dir, remote_key(config_));
    const bool owed = state.load().ok() && (state.pending_reload(Side::local) || state.pending_reload(Side::remote));
    if (!owed && !owed_.empty()) settle_owed();  // paid by another run
    // What moved, and what an earlier cycle left unsettled and is due again.
    const auto moved = items_to_digest(items, baseline_, *local, *remote, full);
    const auto due = retries_due(unsettled_, clock_.steady());
    std::vector<Item> changed;  // in the configured order
    for (Item item : items) {
      if (std::find(moved.begin(), moved.end(), item) != moved.end() ||
          std::find(due.begin(), due.end(), item) != due.end()) {
        changed.push_back(item);
      }
    }
    if (changed.empty() && !owed) {
      // Nothing to run: the state stays what the items' last runs left (never "in sync"
      // while one of them is still refused, failed or in conflict).
      const auto [code, why] = daemon_state(unsettled_, owed_);
      report(code, why, false);
      return;
    }
    // Baselines taken in this cycle are only as good as the stats they came from.

    RunOptions options;
    options.command = command_for(config_.sync.mode);
    options.items = changed;
    const auto started = clock_.steady();
    RunReport result = run_sync(config_, peers_->local, peers_->remote, state, options);
    const auto took = std::chrono::duration_cast<Millis>(clock_.steady() - started);
    if (result.changed && result.code == ExitCode::ok && !config_.hooks.on_success.empty()) {
      run_hook(config_, config_.hooks.on_success, result);
    }
    if (cancel_requested()) {
      // Stopped mid-cycle: what was staged here is gone already (RAII); remove what the
      // remote kept (a half-received push), briefly lifting the stop so the command runs.
      if (peers_) {
        reset_cancel();
        peers_->remote.clean_stale();
        request_cancel();
      }
      return;
    }
    // A cycle that moved nothing and found nothing wrong is not worth a write, unless the
    // run on record failed: then its clearing is news (`status` would go on showing it).
    if (result.changed || result.code != ExitCode::ok || last_run_failed_) {
      if (auto st = state.save_last_run(last_run_json(result)); !st) {
        spdlog::warn("cannot record the last run: {}", st.error().message);
      } else {
        last_run_failed_ = result.code != ExitCode::ok;
      }
    }
    if (result.error) {
      if (result.code == ExitCode::unreachable) peers_.reset();
      report(result.code, result.error->message);
      return;
    }
    std::vector<ItemOutcome> outcomes;
    for (const auto& r : result.items) outcomes.push_back({r.item, r.code, r.message});
    unsettled_ = next_unsettled(std::move(unsettled_), outcomes, clock_.steady(), config_.sync.interval);
    if (result.owed.empty() && !owed_.empty()) settle_owed();
    owed_ = result.owed;
    std::vector<Item> rewritten;
    for (const auto& r : result.items) {
      // A copy that went in; a refused or failed one is retried as unsettled (its stats
      // move too if it may have gone in).
      if ((r.plan.action == Action::pull || r.plan.action == Action::push) && r.outcome == Outcome::ok) {
        rewritten.push_back(r.item);
      }
    }
    baseline_ = next_baseline(std::move(baseline_), changed, *local, *remote, rewritten, stat_time,
                              peers_->remote.clock_offset());
    std::string summary;
    for (const auto& r : result.items) {
      if (r.plan.action != Action::none || r.code != ExitCode::ok) {
        summary += (summary.empty() ? "" : ", ") + std::string(item_name(r.item)) + " " + action_name(r.plan.action) +
                   " " + result_name(r);
      }
    }
    if (result.changed && !summary.empty()) spdlog::info("synced: {}", summary);
    // The state is every item's, not this run's alone: an item refused by an earlier cycle
    // and not due yet keeps it.
    const auto [code, why] = daemon_state(unsettled_, owed_);
    if (result.changed || code != ExitCode::ok || last_code_ != ExitCode::ok) {
      // What moved, and the daemon's state (not this run's alone) as the exit code.
      RunReport counted = result;
      counted.code = code;
      update_metrics(config_, counted, took);
    }
    report(code, why, false);
  }

  // The reloads owed are paid: the items that waited on them are due again now.
  void settle_owed() {
    owed_.clear();
    for (auto& [item, u] : unsettled_) u.retry_at = clock_.steady();
  }

  // Sleep until the next check; true when the next cycle must be a full one.
  bool wait_for_next() {
    const Millis wait = backoff_wait(config_.sync.interval, failures_);
    const auto deadline = clock_.steady() + wait;
    write_status(next_check_at(clock_.wall(), wait));
    std::optional<SteadyTime> debounce;
    for (;;) {
      const auto now = clock_.steady();
      switch (wake(now, deadline, debounce, last_full_, config_.sync.interval)) {
        case Wake::check: return false;
        case Wake::full_check: return true;
        case Wake::wait: break;
      }
      const Millis timeout = poll_timeout(now, deadline, debounce, watchdog_, peers_ != nullptr);
      pollfd fds[2] = {{signals_.fd(), POLLIN, 0}, {watcher_ ? watcher_->fd() : -1, POLLIN, 0}};
      ::poll(fds, 2, static_cast<int>(timeout.count()));
      if (watchdog_.count() > 0) notify("WATCHDOG=1");
      if (peers_ && keepalive_due(clock_.steady(), last_used_)) {
        if (!peers_->session.keepalive()) {
          spdlog::warn("the SSH session to {} dropped; reconnecting at the next check", remote_key(config_));
          peers_.reset();
        }
        last_used_ = clock_.steady();
      }
      if (fds[0].revents & POLLIN) {
        for (int signo : signals_.drain()) {
          if (signo == SIGTERM || signo == SIGINT) {
            stopping_ = true;
            return false;
          }
          if (signo == SIGHUP) reload_config();
          if (signo == SIGUSR1) {
            spdlog::info("SIGUSR1: running a full check now");
            return true;
          }
        }
      }
      if ((fds[1].revents & POLLIN) && watcher_->drain()) {
        if (!debounce) spdlog::debug("local change seen; checking in {}", format_duration(kDebounce));
        debounce = debounce_until(debounce, clock_.steady());
      }
    }
  }

  void reload_config() {
    try {
      Config fresh = load_config(path_);
      config_ = std::move(fresh);
      setup_logging(verbosity_, config_.log_level);
      peers_.reset();
      baseline_.clear();
      unsettled_.clear();  // the first cycle under the new config digests every item
      last_state_.clear();
      make_watcher();
      spdlog::info("SIGHUP: configuration {} reloaded", path_);
    } catch (const ConfigError& e) {
      spdlog::error("SIGHUP: the new configuration is not valid, keeping the old one: {}", e.what());
    }
  }

  // Tell systemd and `status` the state and the next check: on every change of state,
  // and otherwise every few seconds (a fast interval must not mean a write per cycle).
  void write_status(int64_t next) {
    const auto now = clock_.steady();
    if (!status_due(now, last_written_, last_state_, written_state_)) return;
    written_state_ = last_state_;
    last_written_ = now;
    const std::string state = last_code_ == ExitCode::ok ? "in sync" : last_message_;
    notify("STATUS=" + std::string(last_code_ == ExitCode::ok ? "ok" : "error") + ": " + state.substr(0, 200) +
           "; next check " + format_local_time(next, "%H:%M:%S"));
    Json doc = Json::object();
    doc.set("pid", static_cast<int64_t>(::getpid()));
    doc.set("state", last_code_ == ExitCode::ok ? "ok" : exit_code_reason(last_code_));
    doc.set("exit_code", static_cast<int>(last_code_));
    doc.set("message", last_message_);
    doc.set("next_check", next);
    doc.set("cycles", static_cast<int64_t>(cycles_));
    StateStore(config_.state_dir, remote_key(config_)).save_daemon_status(doc);
  }

  Config config_;
  std::string path_;
  Verbosity verbosity_;
  const Clock& clock_;
  SignalPipe signals_;
  std::optional<DirWatcher> watcher_;
  std::unique_ptr<Peers> peers_;
  Baseline baseline_;
  UnsettledItems unsettled_;        // items the last cycle to run them did not settle
  std::vector<std::string> owed_;   // the reloads still pending after the last run, in words
  SteadyTime last_used_;
  Millis watchdog_{0};
  std::string last_state_;
  std::string last_hooked_;  // the failure state on_failure last ran for
  std::string written_state_ = "(none)";
  SteadyTime last_written_;
  ExitCode last_code_ = ExitCode::ok;
  std::string last_message_ = "starting";
  int failures_ = 0;
  int64_t cycles_ = 0;
  bool last_run_failed_ = true;  // the last run on record may have failed (unknown at start)
  SteadyTime last_full_;
  bool stopping_ = false;
};

}  // namespace

int run_daemon(const std::string& config_path, Verbosity verbosity, const Clock& clock) {
  Config config = load_config(config_path);  // ConfigError -> exit 2 in the CLI
  setup_logging(verbosity, config.log_level);
  Daemon daemon(std::move(config), config_path, verbosity, clock);
  return daemon.run();
}

}  // namespace gs
