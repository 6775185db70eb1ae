#include "gravity_sync/daemon/daemon.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <poll.h>
#include <set>
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
#include "gravity_sync/sync/peer_runs.hpp"
#include "gravity_sync/log/log.hpp"
#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/util/parallel.hpp"
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

// What the daemon keeps between cycles for one peer: its session, the stats its last
// cycle saw, the items it left unsettled, its state and its backoff. Peers never share
// any of it: one down, refused or locked peer leaves the others' cycles as they were.
struct PeerLoop {
  RemoteConfig remote;
  std::unique_ptr<Peers> peers;
  Baseline baseline;
  UnsettledItems unsettled;        // items the last cycle to run them did not settle
  std::vector<std::string> owed;   // the reloads still pending after the last run, in words
  SteadyTime last_used;
  SteadyTime next_due;             // not before this, while failing (backoff)
  std::string last_state;
  std::string last_hooked;         // the failure state on_failure last ran for
  ExitCode last_code = ExitCode::ok;
  std::string last_message = "starting";
  int failures = 0;
  std::optional<RunReport> last_report;  // its part of last-run.json
};

// The decisions about time and stats are daemon/schedule's pure functions; this class
// reads the clock (only through `clock_`), does the I/O and keeps the state between cycles.
class Daemon {
 public:
  Daemon(Config config, std::string path, Verbosity verbosity, const Clock& clock)
      : config_(std::move(config)),
        path_(std::move(path)),
        verbosity_(verbosity),
        clock_(clock),
        last_full_(clock.steady()) {
    make_loops();
  }

  int run() {
    std::string names;
    for (const auto& l : loops_) names += (names.empty() ? "" : ", ") + l.remote.name + " " + remote_key(l.remote);
    spdlog::info("gravity-sync {} daemon started with {} (peers {}, every {}, mode {})", kVersion, path_, names,
                 format_duration(config_.sync.interval), to_string(config_.sync.mode));
    // Ready once the config is loaded: a remote that is down is a state, not a start failure.
    notify("READY=1\nSTATUS=started; first check now");
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) watchdog_ = Millis(std::max<uint64_t>(usec / 2000, 1));
    make_watcher();

    bool full = true;
    while (!stopping_) {
      cycle(full);
      full = false;
      // SIGTERM or SIGINT also set the cancel flag (daemon/signals): a cycle they cut
      // short is the last one.
      if (stopping_ || cancel_requested()) break;
      full = wait_for_next();
    }
    notify("STOPPING=1");
    spdlog::info("gravity-sync daemon stopped");
    return 0;
  }

 private:
  void make_loops() {
    loops_.clear();
    for (const auto& r : config_.remotes) {
      PeerLoop l;
      l.remote = r;
      l.last_used = clock_.steady();
      l.next_due = clock_.steady();
      loops_.push_back(std::move(l));
    }
  }

  void make_watcher() {
    std::vector<std::string> paths;
    // v6 keeps the text items in pihole.toml, which FTL rewrites when one changes.
    const int major = ::access(config_.local.toml_path().c_str(), F_OK) == 0 ? 6 : 5;
    for (Item item : config_.sync.items) paths.push_back(config_.local.watch_path(item, major));
    watcher_.emplace(paths);
  }

  PeerRef ref(const PeerLoop& l) const { return {l.remote.name, remote_key(l.remote)}; }

  // Report a peer's state once when it changes; repeat only at debug level. `run_failed`:
  // the whole run failed (the connection, the lock): it counts in the metrics here (a run
  // that reached its items counts in cycle()), and spaces the peer's next cycles out
  // (backoff); an item's failure does not (the item has its own retry, UnsettledItems).
  void report(PeerLoop& l, ExitCode code, const std::string& message, bool run_failed = true) {
    if (cancel_requested()) return;  // stopping: an interrupted step is not a state
    // Connection-level states are the code alone (the reason may vary while it lasts);
    // item-level ones include what went wrong.
    const bool connection = code == ExitCode::unreachable || code == ExitCode::host_key || code == ExitCode::locked;
    const std::string key = std::to_string(static_cast<int>(code)) + (connection ? "" : " " + message);
    if (key != l.last_state) {
      if (code == ExitCode::ok) {
        spdlog::info("state: {}", message);
      } else {
        spdlog::error("state: {} (exit code {}); retrying with backoff", message, static_cast<int>(code));
      }
      l.last_state = key;
    } else {
      spdlog::debug("state unchanged: {}", message);
    }
    if (code != ExitCode::ok) {
      // Metrics count every failed run; the on_failure hook runs when a failure starts.
      RunReport failure;
      failure.command = command_for(config_.sync.mode);
      failure.code = code;
      failure.error = Error{code, message};
      if (run_failed) update_metrics(config_, ref(l), failure, Millis(0));
      if (key != l.last_hooked && !config_.hooks.on_failure.empty()) hook(config_.hooks.on_failure, l, failure);
      l.last_hooked = key;
    } else {
      l.last_hooked.clear();
    }
    l.failures = code != ExitCode::ok && run_failed ? l.failures + 1 : 0;
    l.next_due = clock_.steady() + (l.failures > 0 ? backoff_wait(config_.sync.interval, l.failures) : Millis(0));
    l.last_code = code;
    l.last_message = message;
  }

  // What one peer's part of a cycle found before its run, and the run's report.
  struct PeerTurn {
    size_t index = 0;                // into loops_
    bool full = false;
    std::optional<Error> failure;    // the run could not start (connection, local stats)
    bool owed = false;               // a node still owes a reload
    std::vector<Item> changed;       // to digest, in the configured order
    int64_t stat_time = 0;
    Stats local, remote;
    std::optional<RunReport> result;
    Millis took{0};
  };

  // One cycle: every peer that is due (all of them on a full check; one in backoff only
  // when its wait is over). Several peers go at once: their stats, then their runs with
  // pushes only (they only read this node); a peer with something for this node then runs
  // alone. Hub: when that changed this node, the other peers are checked once more, again
  // at once, so the change reaches them in this cycle.
  void cycle(bool full) {
    const CycleTimer timer(clock_, cycles_ + 1);
    ++cycles_;
    if (full) last_full_ = clock_.steady();
    // The peer the watch saw change goes first: what it brings then reaches the others in
    // this same pass.
    std::vector<size_t> order;
    if (moved_ < loops_.size()) order.push_back(moved_);
    for (size_t i = 0; i < loops_.size(); ++i) {
      if (i != moved_) order.push_back(i);
    }
    moved_ = SIZE_MAX;
    std::vector<size_t> due;
    for (size_t i : order) {
      if (full || loops_[i].failures == 0 || clock_.steady() >= loops_[i].next_due) due.push_back(i);
    }
    std::unique_ptr<NodeLock> lock;  // this node's, for every run of the cycle
    holding_ = true;                 // hooks wait until it is released
    const auto pullers = turns(due, full, lock, true);
    if (!pullers.empty() && !cancel_requested() && !stopping_) {
      // Every other peer; a lone puller has everything this node took already.
      std::vector<size_t> others;
      for (size_t i : order) {
        if (pullers.size() == 1 && i == pullers.front()) continue;
        if (loops_[i].failures == 0 && loops_[i].peers) others.push_back(i);
      }
      turns(others, false, lock, false);
    }
    lock.reset();
    holding_ = false;
    // The hooks of the cycle, now that this node's lock is free (a hook may run
    // gravity-sync itself).
    auto hooks = std::move(hooks_);
    hooks_.clear();
    for (auto& h : hooks) h();
    save_last_run();
  }

  // Run hook `command` for a run of `l`: now, or after the cycle's lock is released.
  void hook(const std::string& command, const PeerLoop& l, const RunReport& run) {
    auto call = [this, command, peer = ref(l), run] { run_hook(config_, command, peer, run); };
    if (holding_) {
      hooks_.push_back(std::move(call));
    } else {
      call();
    }
  }

  // The turns of `peers` (indexes into loops_): stats and runs at once, then alone each
  // peer that has something for this node. `lock` is taken by the first turn that runs.
  // Returns the peers whose run changed this node; none with `alone` false (the hub's
  // second pass: what a peer changed meanwhile waits for the next cycle).
  std::vector<size_t> turns(const std::vector<size_t>& peers, bool full, std::unique_ptr<NodeLock>& lock, bool alone) {
    std::vector<PeerTurn> t(peers.size());
    for (size_t k = 0; k < peers.size(); ++k) {
      t[k].index = peers[k];
      t[k].full = full;
    }
    parallel_for(t.size(), kParallelPeers, [&](size_t k) { prepare(t[k]); });
    // Two connected peers with one host key: each pair once per daemon (sessions
    // reconnect; the warning would repeat every cycle).
    std::vector<std::pair<std::string, std::string>> offered;
    for (const auto& l : loops_) offered.emplace_back(l.remote.name, l.peers ? l.peers->session.host_key_fingerprint() : "");
    warn_shared_host_keys(offered, &warned_host_keys_);
    std::vector<PeerTurn*> running;
    for (auto& turn : t) {
      if (turn.failure || (turn.changed.empty() && !turn.owed)) {
        done(turn);  // stopped before its run, or nothing to run
      } else {
        running.push_back(&turn);
      }
    }
    if (running.empty() || cancel_requested()) return {};
    if (!lock) {
      auto locked = lock_for_peers(loops_[running.front()->index].peers->local, RunOptions{}.lock_wait);
      if (!locked) {
        for (auto* turn : running) {
          turn->result = unreached(command_for(config_.sync.mode), locked.error());
          done(*turn);
        }
        return {};
      }
      lock = std::move(*locked);
    }
    // One peer alone may pull at once; several only read this node first.
    const bool at_once = running.size() > 1;
    parallel_for(running.size(), kParallelPeers, [&](size_t k) { run(*running[k], at_once); });
    std::vector<size_t> pullers;
    for (size_t k = 0; k < running.size(); ++k) {
      PeerTurn& turn = *running[k];
      if (alone && turn.result->deferred && !cancel_requested()) {
        const RunReport first = std::move(*turn.result);
        run(turn, false);
        turn.result = merge_runs(first, std::move(*turn.result));
      }
      if (done(turn)) pullers.push_back(turn.index);
      if (cancel_requested()) {
        for (size_t j = k + 1; j < running.size(); ++j) done(*running[j]);  // each removes what its remote kept
        return {};
      }
    }
    return alone ? pullers : std::vector<size_t>{};
  }

  // last-run.json: each peer's latest run (the one-peer document for a `remote:` config).
  void save_last_run() {
    if (!dirty_) return;
    dirty_ = false;
    PeersReport all;
    all.command = command_for(config_.sync.mode);
    all.named = config_.named_peers;
    for (auto& l : loops_) {
      if (!l.last_report) continue;
      all.peers.push_back({l.remote.name, remote_key(l.remote), *l.last_report});
      all.code = worse(all.code, l.last_report->code);
    }
    if (auto st = save_peers_last_run(config_, all); !st) {
      spdlog::warn("cannot record the last run: {}", st.error().message);
    }
  }

  // A turn's first part, for several peers at once: it touches its own PeerLoop only.
  // Connects when needed, stats both nodes, and decides which items to digest.
  void prepare(PeerTurn& t) {
    PeerLoop& l = loops_[t.index];
    std::optional<PeerLogScope> scope;
    if (config_.named_peers) scope.emplace(l.remote.name);
    if (!l.peers) {
      auto peers = connect_peers(config_, l.remote);
      if (!peers) {
        t.failure = peers.error();
        return;
      }
      l.peers = std::move(*peers);
      l.last_used = clock_.steady();
      l.baseline.clear();
      t.full = true;
    }
    const auto& items = config_.sync.items;
    t.stat_time = clock_.wall();
    auto local = l.peers->local.stat_items(items);
    auto remote = l.peers->remote.stat_items(items);
    l.last_used = clock_.steady();
    if (!local) {
      t.failure = Error{local.error().code, "local: " + local.error().message};
      return;
    }
    if (!remote) {
      l.peers.reset();  // the session is probably gone; reconnect next time
      t.failure = Error{ExitCode::unreachable, "remote: " + remote.error().message};
      return;
    }
    t.local = std::move(*local);
    t.remote = std::move(*remote);
    // A reload a node still owes is retried by every cycle, changes or not (run_sync does
    // it first).
    StateStore state(config_.state_dir, remote_key(l.remote));
    t.owed = state.load().ok() && (state.pending_reload(Side::local) || state.pending_reload(Side::remote));
    if (!t.owed && !l.owed.empty()) settle_owed(l);  // paid by another run
    // What moved, and what an earlier cycle left unsettled and is due again.
    const auto moved = items_to_digest(items, l.baseline, t.local, t.remote, t.full);
    const auto retry = retries_due(l.unsettled, clock_.steady());
    for (Item item : items) {
      if (std::find(moved.begin(), moved.end(), item) != moved.end() ||
          std::find(retry.begin(), retry.end(), item) != retry.end()) {
        t.changed.push_back(item);
      }
    }
  }

  // A turn's run, for several peers at once when `pushes_only` (RunOptions): this node's
  // lock is held by the cycle.
  void run(PeerTurn& t, bool pushes_only) {
    PeerLoop& l = loops_[t.index];
    std::optional<PeerLogScope> scope;
    if (config_.named_peers) scope.emplace(l.remote.name);
    RunOptions options;
    options.command = command_for(config_.sync.mode);
    options.items = t.changed;
    options.local_lock_held = true;
    options.pushes_only = pushes_only;
    StateStore state(config_.state_dir, remote_key(l.remote));
    const auto started = clock_.steady();
    t.result = run_sync(config_, l.peers->local, l.peers->remote, state, options);
    t.took += std::chrono::duration_cast<Millis>(clock_.steady() - started);
  }

  // A turn's last part, one peer at a time: the state, hooks, metrics and baseline. True
  // when its run changed this node (a pull went in).
  bool done(PeerTurn& t) {
    PeerLoop& l = loops_[t.index];
    std::optional<PeerLogScope> scope;
    if (config_.named_peers) scope.emplace(l.remote.name);
    if (t.failure) {
      report(l, t.failure->code, t.failure->message);
      return false;
    }
    if (!t.result) {
      // Nothing to run: the state stays what the items' last runs left (never "in sync"
      // while one of them is still refused, failed or in conflict).
      const auto [code, why] = daemon_state(l.unsettled, l.owed);
      report(l, code, why, false);
      return false;
    }
    const RunReport& result = *t.result;
    if (result.changed && result.code == ExitCode::ok && !config_.hooks.on_success.empty()) {
      hook(config_.hooks.on_success, l, result);
    }
    if (cancel_requested()) {
      // Stopped mid-cycle: what was staged here is gone already (RAII); remove what the
      // remote kept (a half-received push), briefly lifting the stop so the command runs.
      if (l.peers) {
        reset_cancel();
        l.peers->remote.clean_stale();
        request_cancel();
      }
      return false;
    }
    // A cycle that moved nothing and found nothing wrong is not worth a write, unless the
    // run on record failed: then its clearing is news (`status` would go on showing it).
    if (result.changed || result.code != ExitCode::ok || !l.last_report || l.last_report->code != ExitCode::ok) {
      l.last_report = result;
      dirty_ = true;
    }
    const bool pulled = pulled_here(result);
    if (result.error) {
      if (result.code == ExitCode::unreachable) l.peers.reset();
      report(l, result.code, result.error->message);
      return pulled;
    }
    std::vector<ItemOutcome> outcomes;
    for (const auto& r : result.items) outcomes.push_back({r.item, r.code, r.message});
    l.unsettled = next_unsettled(std::move(l.unsettled), outcomes, clock_.steady(), config_.sync.interval);
    if (result.owed.empty() && !l.owed.empty()) settle_owed(l);
    l.owed = result.owed;
    std::vector<Item> rewritten;
    std::vector<Item> digested;  // an item left for this peer's own run keeps its old baseline
    for (const auto& r : result.items) {
      // A copy that went in; a refused or failed one is retried as unsettled (its stats
      // move too if it may have gone in).
      if ((r.plan.action == Action::pull || r.plan.action == Action::push) && r.outcome == Outcome::ok) {
        rewritten.push_back(r.item);
      }
      if (!(result.deferred && r.plan.action == Action::pull && r.outcome == Outcome::skipped)) digested.push_back(r.item);
    }
    l.baseline = next_baseline(std::move(l.baseline), digested, t.local, t.remote, rewritten, t.stat_time,
                               l.peers->remote.clock_offset());
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
    const auto [code, why] = daemon_state(l.unsettled, l.owed);
    if (result.changed || code != ExitCode::ok || l.last_code != ExitCode::ok) {
      // What moved, and the daemon's state (not this run's alone) as the exit code.
      RunReport counted = result;
      counted.code = code;
      update_metrics(config_, ref(l), counted, t.took);
    }
    report(l, code, why, false);
    return pulled;
  }

  // The reloads owed are paid: the items that waited on them are due again now.
  void settle_owed(PeerLoop& l) {
    l.owed.clear();
    for (auto& [item, u] : l.unsettled) u.retry_at = clock_.steady();
  }

  // The daemon's state: the worst peer's code, and what is wrong, peer by peer.
  std::pair<ExitCode, std::string> overall() const {
    ExitCode code = ExitCode::ok;
    std::string message;
    for (const auto& l : loops_) {
      code = worse(code, l.last_code);
      if (l.last_code == ExitCode::ok) continue;
      message += (message.empty() ? "" : "; ") +
                 (config_.named_peers ? "peer " + l.remote.name + ": " : std::string()) + l.last_message;
    }
    return {code, code == ExitCode::ok ? loops_.front().last_message : message};
  }

  // Sleep until the next check; true when the next cycle must be a full one.
  bool wait_for_next() {
    // The next peer due: a healthy one after the interval, a failing one after its backoff.
    const auto now0 = clock_.steady();
    Millis wait = Millis::max();
    for (const auto& l : loops_) {
      const Millis w = l.failures == 0 ? backoff_wait(config_.sync.interval, 0)
                                       : std::max(Millis(0), std::chrono::duration_cast<Millis>(l.next_due - now0));
      wait = std::min(wait, w);
    }
    // At least one poll() of the signals and the watcher before the next check, even for
    // a peer whose backoff is already over (a 1 ms interval stays 1 ms).
    wait = std::max(wait, Millis(1));
    const auto deadline = clock_.steady() + wait;
    write_status(next_check_at(clock_.wall(), wait));
    std::optional<SteadyTime> debounce;
    // The watch: with an interval longer than kPeerWatchEvery, the peers are stat'ed that
    // often in between, so a change there is not left waiting for the interval.
    const bool watching = config_.sync.interval > kPeerWatchEvery;
    SteadyTime next_watch = clock_.steady() + kPeerWatchEvery;
    for (;;) {
      const auto now = clock_.steady();
      switch (wake(now, deadline, debounce, last_full_, config_.sync.interval)) {
        case Wake::check: return false;
        case Wake::full_check: return true;
        case Wake::wait: break;
      }
      if (watching && now >= next_watch) {
        next_watch = now + kPeerWatchEvery;
        if (watch_peers()) return false;
      }
      const bool connected = std::any_of(loops_.begin(), loops_.end(), [](const PeerLoop& l) { return l.peers != nullptr; });
      Millis timeout = poll_timeout(now, deadline, debounce, watchdog_, connected);
      if (watching) timeout = std::clamp(std::chrono::duration_cast<Millis>(next_watch - now), Millis(1), timeout);
      pollfd fds[2] = {{signals_.fd(), POLLIN, 0}, {watcher_ ? watcher_->fd() : -1, POLLIN, 0}};
      ::poll(fds, 2, static_cast<int>(timeout.count()));
      if (watchdog_.count() > 0) notify("WATCHDOG=1");
      for (auto& l : loops_) {
        if (l.peers && keepalive_due(clock_.steady(), l.last_used)) {
          if (!l.peers->session.keepalive()) {
            spdlog::warn("the SSH session to {} dropped; reconnecting at the next check", remote_key(l.remote));
            l.peers.reset();
          }
          l.last_used = clock_.steady();
        }
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

  // The watch: stat each connected, healthy peer's items; true when one of them moved
  // against its baseline (or the session broke): a check is due now.
  bool watch_peers() {
    for (size_t i = 0; i < loops_.size(); ++i) {
      PeerLoop& l = loops_[i];
      if (!l.peers || l.failures > 0) continue;
      std::optional<PeerLogScope> scope;
      if (config_.named_peers) scope.emplace(l.remote.name);
      auto remote = l.peers->remote.stat_items(config_.sync.items);
      l.last_used = clock_.steady();
      if (!remote) {
        spdlog::debug("watch: {}", remote.error().message);
        return true;  // the check reports it (and reconnects)
      }
      std::vector<Item> waiting;  // unsettled items keep their own retry schedule
      for (const auto& [item, u] : l.unsettled) waiting.push_back(item);
      if (peer_moved(l.baseline, *remote, waiting)) {
        spdlog::debug("watch: a change on the peer; checking now");
        moved_ = i;
        return true;
      }
    }
    return false;
  }

  void reload_config() {
    try {
      Config fresh = load_config(path_);
      config_ = std::move(fresh);
      setup_logging(verbosity_, config_.log_level);
      make_loops();  // every peer reconnects; the first cycle digests every item
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
    const auto [code, message] = overall();
    std::string state_key = std::to_string(static_cast<int>(code)) + " " + message;
    if (!status_due(now, last_written_, state_key, written_state_)) return;
    written_state_ = state_key;
    last_written_ = now;
    const std::string state = code == ExitCode::ok ? "in sync" : message;
    notify("STATUS=" + std::string(code == ExitCode::ok ? "ok" : "error") + ": " + state.substr(0, 200) +
           "; next check " + format_local_time(next, "%H:%M:%S"));
    Json doc = Json::object();
    doc.set("pid", static_cast<int64_t>(::getpid()));
    doc.set("state", code == ExitCode::ok ? "ok" : exit_code_reason(code));
    doc.set("exit_code", static_cast<int>(code));
    doc.set("message", code == ExitCode::ok ? loops_.front().last_message : message);
    doc.set("next_check", next);
    doc.set("cycles", static_cast<int64_t>(cycles_));
    if (config_.named_peers) {
      Json peers = Json::array();
      for (const auto& l : loops_) {
        Json p = Json::object();
        p.set("name", l.remote.name);
        p.set("remote", remote_key(l.remote));
        p.set("state", l.last_code == ExitCode::ok ? "ok" : exit_code_reason(l.last_code));
        p.set("exit_code", static_cast<int>(l.last_code));
        p.set("message", l.last_message);
        peers.push(p);
      }
      doc.set("peers", peers);
    }
    StateStore(config_.state_dir, "").save_daemon_status(doc);
  }

  Config config_;
  std::string path_;
  Verbosity verbosity_;
  const Clock& clock_;
  SignalPipe signals_;
  std::optional<DirWatcher> watcher_;
  std::vector<PeerLoop> loops_;  // one per peer, in the config's order
  Millis watchdog_{0};
  std::string written_state_ = "(none)";
  SteadyTime last_written_;
  int64_t cycles_ = 0;
  std::set<std::string> warned_host_keys_;  // "first\nsecond": pairs warned of (warn_shared_host_keys)
  bool dirty_ = false;  // a peer's last run changed since last-run.json was written
  bool holding_ = false;  // a cycle holds (or may take) this node's lock: hooks wait
  std::vector<std::function<void()>> hooks_;  // the hooks waiting for the cycle's end
  size_t moved_ = SIZE_MAX;  // the peer the watch last saw change, checked first
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
