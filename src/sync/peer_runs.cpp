#include "gravity_sync/sync/peer_runs.hpp"

#include <algorithm>
#include <ctime>
#include <tuple>

#include <spdlog/spdlog.h>

#include "gravity_sync/log/log.hpp"
#include "gravity_sync/sync/state.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/parallel.hpp"

namespace gs {

RunReport unreached(Command command, const Error& error) {
  RunReport report;
  report.command = command;
  report.code = error.code;
  report.error = error;
  report.time = static_cast<int64_t>(std::time(nullptr));
  return report;
}

Result<std::unique_ptr<NodeLock>> lock_for_peers(LocalNode& local, Millis wait) {
  auto lock = local.lock(wait);
  if (lock) local.clean_stale();
  return lock;
}

namespace {

// compare, or a dry run, over several peers: what `sync` would meet. A pull from one peer
// (step 2) changes this node, so a later peer that changed the same item meets a
// conflict, and every other peer a push (step 3), which their own runs cannot see: their
// items are planned again against this node as the pulls before them leave it (the peers
// before the last pull: as all the pulls leave it).
void predict_across_peers(const Config& config, const std::vector<RemoteConfig>& peers,
                          std::vector<RunReport>& reports, const RunOptions& options) {
  std::vector<bool> changed(peers.size(), false);
  std::vector<std::optional<StateStore>> states(peers.size());  // each peer's history, read once
  std::vector<bool> unreadable(peers.size(), false);
  auto history = [&](size_t i) -> StateStore* {
    if (!states[i] && !unreadable[i]) {
      states[i].emplace(config.state_dir, remote_key(peers[i]));
      unreadable[i] = !states[i]->load();
    }
    return unreadable[i] ? nullptr : &*states[i];
  };
  for (Item item : options.items) {
    std::optional<ItemState> here;  // this node's item after the pulls so far
    std::string from;               // the peer of the last of them
    TextForm form = TextForm::bytes;
    std::vector<bool> planned(peers.size(), false);
    auto entry = [&](size_t i) -> ItemReport* {
      if (reports[i].error) return nullptr;
      auto& items = reports[i].items;
      auto it = std::find_if(items.begin(), items.end(), [&](const ItemReport& r) { return r.item == item; });
      return it == items.end() ? nullptr : &*it;
    };
    // Peer i's item planned against `here`; false when that cannot be told.
    auto plan_again = [&](size_t i) {
      ItemReport& r = *entry(i);
      ItemState local = *here;
      if (item != Item::gravity && reports[i].form != form) {
        // Digests in another form: records can be had from bytes (canonical), not back.
        if (reports[i].form != TextForm::records) return false;
        local.sha256 = local.canonical;
      }
      StateStore* state = history(i);
      if (!state) return false;
      Planned p = plan_item({item, local, r.remote, state->history(item), SyncMode::sync, config.sync.conflict,
                             options.force});
      planned[i] = true;
      if (p.action == r.plan.action && p.conflict == r.plan.conflict) return true;
      p.reason = "after the pull from peer " + from + ": " + p.reason;
      r.plan = p;
      r.message.clear();
      std::tie(r.outcome, r.code) = options.command == Command::compare ? compare_result(p) : dry_run_result(p);
      if (options.command != Command::compare && r.outcome == Outcome::failed) r.message = p.reason;
      changed[i] = true;
      return true;
    };
    std::optional<size_t> last_pull;
    for (size_t i = 0; i < peers.size(); ++i) {
      ItemReport* r = entry(i);
      if (!r) continue;
      if (here && !plan_again(i)) continue;
      if (r->plan.action != Action::pull || r->plan.refusal != ExitCode::ok) continue;
      here = r->remote;
      from = peers[i].name;
      form = reports[i].form;
      last_pull = i;
    }
    for (size_t i = 0; last_pull && i < *last_pull; ++i) {
      if (!planned[i] && entry(i) && !(entry(i)->plan.action == Action::pull && entry(i)->plan.refusal == ExitCode::ok)) {
        plan_again(i);
      }
    }
  }
  // A changed peer's code is its items' again (and a reload still owed).
  for (size_t i = 0; i < peers.size(); ++i) {
    if (!changed[i]) continue;
    ExitCode code = ExitCode::ok;
    for (const auto& r : reports[i].items) code = worse(code, r.code);
    if (!reports[i].owed.empty()) code = worse(code, ExitCode::failure);
    reports[i].code = code;
  }
}

}  // namespace

PeersReport run_peers(const Config& config, const std::vector<RemoteConfig>& peers,
                      std::vector<Result<std::unique_ptr<Peers>>>& sessions, const RunOptions& options) {
  PeersReport out;
  out.command = options.command;
  out.named = config.named_peers;
  std::vector<RunReport> reports(peers.size());
  auto run_one = [&](size_t i, const RunOptions& how) {
    std::optional<PeerLogScope> scope;
    if (config.named_peers) scope.emplace(peers[i].name);
    if (!sessions[i]) {
      spdlog::error("{}", sessions[i].error().message);
      return unreached(how.command, sessions[i].error());
    }
    StateStore state(config.state_dir, remote_key(peers[i]));
    return run_sync(config, (*sessions[i])->local, (*sessions[i])->remote, state, how);
  };
  auto finish = [&] {
    for (size_t i = 0; i < peers.size(); ++i) {
      out.peers.push_back({peers[i].name, remote_key(peers[i]), std::move(reports[i])});
      out.code = worse(out.code, out.peers.back().report.code);
      out.changed = out.changed || out.peers.back().report.changed;
    }
    return out;
  };
  const bool changing = options.command != Command::compare && !options.dry_run;
  if (peers.size() == 1 || (changing && options.command == Command::pull)) {
    // One peer (`pull` takes one, cli/sync_commands): the engine's run as it is.
    for (size_t i = 0; i < peers.size(); ++i) reports[i] = run_one(i, options);
    return finish();
  }

  // This node's lock, once for every peer's run, so they can go at the same time.
  RunOptions shared = options;
  if (options.command != Command::compare) {
    Peers* any = nullptr;
    for (auto& s : sessions) {
      if (s) any = s->get();
    }
    std::unique_ptr<NodeLock> lock;
    if (any) {
      auto locked = lock_for_peers(any->local, options.lock_wait);
      if (!locked) {
        for (size_t i = 0; i < peers.size(); ++i) {
          reports[i] = sessions[i] ? unreached(options.command, locked.error()) : run_one(i, options);
        }
        return finish();
      }
      lock = std::move(*locked);
    }
    shared.local_lock_held = true;
    shared.pushes_only = changing;
    // 1. Every peer at once, reading this node only: what goes to a peer goes now; what
    //    a peer would bring here is left for step 2. A dry run changes nothing and ends
    //    here, foreseeing steps 2 and 3 as compare does.
    parallel_for(peers.size(), kParallelPeers, [&](size_t i) { reports[i] = run_one(i, shared); });
    if (!changing) {
      if (options.command == Command::sync) predict_across_peers(config, peers, reports, options);
      return finish();
    }
    // 2. Each peer that has something for this node, alone (a conflict across two peers
    //    is then seen as such by the second).
    RunOptions alone = shared;
    alone.pushes_only = false;
    std::optional<size_t> last_pull;
    for (size_t i = 0; i < peers.size(); ++i) {
      if (!reports[i].deferred) continue;
      reports[i] = merge_runs(reports[i], run_one(i, alone));
      if (pulled_here(reports[i])) last_pull = i;
    }
    // 3. Hub: what came in goes to every other peer, again at once. What a peer changed
    //    since step 1 waits for the next run.
    if (last_pull && options.command == Command::sync) {
      parallel_for(peers.size(), kParallelPeers, [&](size_t i) {
        if (i != *last_pull && sessions[i]) reports[i] = merge_runs(reports[i], run_one(i, shared));
      });
    }
    return finish();
  }
  // compare takes no lock: every peer at once (each has its own session and nodes), so
  // many peers cost about as much as one.
  parallel_for(peers.size(), kParallelPeers, [&](size_t i) { reports[i] = run_one(i, options); });
  if (options.command == Command::compare) predict_across_peers(config, peers, reports, options);
  return finish();
}

namespace {

// One peer's entry: "name", "remote", then the members of its own document but `skip`.
Json peer_entry(const PeerRun& p, const Json& doc, const std::vector<std::string>& skip = {}) {
  Json entry = Json::object();
  entry.set("name", p.name);
  entry.set("remote", p.remote);
  for (const auto& [k, v] : doc.members()) {
    if (std::find(skip.begin(), skip.end(), k) == skip.end()) entry.set(k, v);
  }
  return entry;
}

// What the run's `error` says of one peer: its name, exit code and `error` object.
struct PeerOutcome {
  std::string name;
  ExitCode code = ExitCode::ok;
  Json error;
};

// The run's `error` when some peer failed: the worst code `worst`, and the message of each
// peer with that code: "peer a: ...; peer b: ...".
void set_run_error(Json& doc, ExitCode worst, const std::vector<PeerOutcome>& peers) {
  if (worst == ExitCode::ok || worst == ExitCode::differs) return;
  std::string msg;
  for (const auto& p : peers) {
    if (p.code != worst || p.error.is_null()) continue;
    msg += (msg.empty() ? "" : "; ") + std::string("peer ") + p.name + ": " + p.error["message"].as_string();
  }
  doc.set("error", error_json(Error{worst, msg}));
}

}  // namespace

Json peers_report_json(const PeersReport& report) {
  if (!report.named && report.peers.size() == 1) return report_json(report.peers.front().report);
  std::vector<PeerOutcome> outcomes;
  Json peers = Json::array();
  bool in_sync = true;
  for (const auto& p : report.peers) {
    Json doc = report_json(p.report);
    outcomes.push_back({p.name, p.report.code, doc["error"]});
    in_sync = in_sync && doc["in_sync"].as_bool();
    peers.push(peer_entry(p, doc));
  }
  Json doc = Json::object();
  if (report.command == Command::compare) doc.set("in_sync", in_sync);
  doc.set("peers", peers);
  set_run_error(doc, report.code, outcomes);
  return doc;
}

Json peers_last_run_json(const PeersReport& report) {
  if (!report.named && report.peers.size() == 1) return last_run_json(report.peers.front().report);
  std::vector<PeerOutcome> outcomes;
  Json peers = Json::array();
  int64_t time = 0;
  for (const auto& p : report.peers) {
    Json last = last_run_json(p.report);
    outcomes.push_back({p.name, p.report.code, last["error"]});
    if (time == 0) time = last["time"].as_int();
    peers.push(peer_entry(p, last, {"time", "command"}));
  }
  Json doc = Json::object();
  doc.set("time", time ? time : static_cast<int64_t>(std::time(nullptr)));
  doc.set("command", command_name(report.command));
  doc.set("exit_code", static_cast<int>(report.code));
  doc.set("peers", peers);
  set_run_error(doc, report.code, outcomes);
  return doc;
}

Status save_peers_last_run(const Config& config, const PeersReport& report) {
  StateStore store(config.state_dir, "");
  Json doc = peers_last_run_json(report);
  const auto old = store.last_run();
  if (doc["peers"].is_array() && old && (*old)["peers"].is_array()) {
    // A peer this run did not visit keeps its part of the last run that did, with that
    // run's time: `status` goes on showing its failure until a run with it clears it.
    Json peers = Json::array();
    for (const auto& peer : config.remotes) {
      auto visited = [&](const Json& list) -> const Json* {
        for (const auto& e : list.items()) {
          if (e["name"].as_string() == peer.name && e["remote"].as_string() == remote_key(peer)) return &e;
        }
        return nullptr;
      };
      if (const Json* now = visited(doc["peers"])) {
        peers.push(*now);
      } else if (const Json* before = visited((*old)["peers"])) {
        Json kept = *before;
        if (kept["time"].is_null()) kept.set("time", (*old)["time"].as_int());
        peers.push(kept);
      }
    }
    ExitCode code = ExitCode::ok;
    std::vector<PeerOutcome> outcomes;
    for (const auto& e : peers.items()) {
      outcomes.push_back({e["name"].as_string(), static_cast<ExitCode>(e["exit_code"].as_int()), e["error"]});
      code = worse(code, outcomes.back().code);
    }
    Json merged = Json::object();
    merged.set("time", doc["time"]);
    merged.set("command", doc["command"]);
    merged.set("exit_code", static_cast<int>(code));
    merged.set("peers", peers);
    set_run_error(merged, code, outcomes);
    doc = merged;
  }
  return store.save_last_run(doc);
}

std::string peers_report_text(const PeersReport& report) {
  if (!report.named && report.peers.size() == 1) return report_text(report.peers.front().report);
  std::string out;
  for (const auto& p : report.peers) {
    out += "peer " + p.name + " (" + p.remote + "): ";
    if (p.report.error) {
      out += exit_code_reason(p.report.code) + std::string(" (exit ") + std::to_string(static_cast<int>(p.report.code)) +
             "): " + p.report.error->message + "\n";
      continue;
    }
    out += p.report.code == ExitCode::ok ? "ok\n"
                                         : std::string(exit_code_reason(p.report.code)) + " (exit " +
                                               std::to_string(static_cast<int>(p.report.code)) + ")\n";
    std::string table = report_text(p.report);
    for (size_t at = 0; at < table.size();) {
      const size_t nl = std::min(table.find('\n', at), table.size());
      out += "  " + table.substr(at, nl - at) + "\n";
      at = nl + 1;
    }
  }
  return out;
}

}  // namespace gs
