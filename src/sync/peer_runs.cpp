#include "gravity_sync/sync/peer_runs.hpp"

#include <algorithm>
#include <ctime>

#include <spdlog/spdlog.h>

#include "gravity_sync/log/log.hpp"
#include "gravity_sync/sync/state.hpp"
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

namespace {

// Whether the run changed this node (a pull that went in).
bool pulled(const RunReport& report) {
  for (const auto& r : report.items) {
    if (r.plan.action == Action::pull && r.outcome == Outcome::ok) return true;
  }
  return false;
}

}  // namespace

PeersReport run_peers(const Config& config, const std::vector<RemoteConfig>& peers,
                      std::vector<Result<std::unique_ptr<Peers>>>& sessions, const RunOptions& options) {
  PeersReport out;
  out.command = options.command;
  out.named = config.named_peers;
  auto run_one = [&](size_t i) {
    std::optional<PeerLogScope> scope;
    if (config.named_peers) scope.emplace(peers[i].name);
    if (!sessions[i]) {
      spdlog::error("{}", sessions[i].error().message);
      return unreached(options.command, sessions[i].error());
    }
    StateStore state(config.state_dir, remote_key(peers[i]));
    return run_sync(config, (*sessions[i])->local, (*sessions[i])->remote, state, options);
  };
  // Hub: the peers before the last pull have not seen what it brought.
  auto revisit = [&](size_t last_pull) {
    if (options.command != Command::sync || options.dry_run || last_pull <= 1) return;
    for (size_t i = 0; i + 1 < last_pull; ++i) {
      if (!sessions[i]) continue;
      RunReport again = run_one(i);
      RunReport& first = out.peers[i].report;
      // The peer's items as the second visit left them; what the first moved stays counted.
      for (auto& r : again.items) {
        for (const auto& f : first.items) {
          if (f.item == r.item && r.plan.action == Action::none && f.plan.action != Action::none && f.outcome == Outcome::ok) {
            r = f;
          }
        }
      }
      again.changed = again.changed || first.changed;
      first = std::move(again);
    }
  };
  if (options.command == Command::compare && peers.size() > 1) {
    // compare changes nothing and takes no lock: every peer at once (each has its own
    // session and nodes), so many peers cost about as much as one.
    std::vector<RunReport> reports(peers.size());
    parallel_for(peers.size(), kParallelPeers, [&](size_t i) { reports[i] = run_one(i); });
    for (size_t i = 0; i < peers.size(); ++i) out.peers.push_back({peers[i].name, remote_key(peers[i]), reports[i]});
  } else {
    size_t last_pull = 0;  // 1 + the index of the last peer whose pull changed this node
    for (size_t i = 0; i < peers.size(); ++i) {
      out.peers.push_back({peers[i].name, remote_key(peers[i]), run_one(i)});
      if (pulled(out.peers.back().report)) last_pull = i + 1;
    }
    revisit(last_pull);
  }
  for (const auto& p : out.peers) {
    out.code = worse(out.code, p.report.code);
    out.changed = out.changed || p.report.changed;
  }
  return out;
}

namespace {

// The first line of the worst peers' failures: "peer a: ...; peer b: ...".
std::string failure_summary(const PeersReport& report, const std::vector<Json>& docs) {
  std::string msg;
  for (size_t i = 0; i < report.peers.size(); ++i) {
    if (report.peers[i].report.code != report.code) continue;
    const Json& e = docs[i]["error"];
    if (e.is_null()) continue;
    msg += (msg.empty() ? "" : "; ") + std::string("peer ") + report.peers[i].name + ": " + e["message"].as_string();
  }
  return msg;
}

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

// The run's `error` when some peer failed: the worst code, each such peer's message.
void set_run_error(Json& doc, const PeersReport& report, const std::vector<Json>& docs) {
  if (report.code != ExitCode::ok && report.code != ExitCode::differs) {
    doc.set("error", error_json(Error{report.code, failure_summary(report, docs)}));
  }
}

}  // namespace

Json peers_report_json(const PeersReport& report) {
  if (!report.named && report.peers.size() == 1) return report_json(report.peers.front().report);
  std::vector<Json> docs;
  Json peers = Json::array();
  bool in_sync = true;
  for (const auto& p : report.peers) {
    Json doc = report_json(p.report);
    docs.push_back(doc);
    in_sync = in_sync && doc["in_sync"].as_bool();
    peers.push(peer_entry(p, doc));
  }
  Json doc = Json::object();
  if (report.command == Command::compare) doc.set("in_sync", in_sync);
  doc.set("peers", peers);
  set_run_error(doc, report, docs);
  return doc;
}

Json peers_last_run_json(const PeersReport& report) {
  if (!report.named && report.peers.size() == 1) return last_run_json(report.peers.front().report);
  std::vector<Json> docs;
  Json peers = Json::array();
  int64_t time = 0;
  for (const auto& p : report.peers) {
    Json last = last_run_json(p.report);
    docs.push_back(last);
    if (time == 0) time = last["time"].as_int();
    peers.push(peer_entry(p, last, {"time", "command"}));
  }
  Json doc = Json::object();
  doc.set("time", time ? time : static_cast<int64_t>(std::time(nullptr)));
  doc.set("command", command_name(report.command));
  doc.set("exit_code", static_cast<int>(report.code));
  doc.set("peers", peers);
  set_run_error(doc, report, docs);
  return doc;
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
