#include "gravity_sync/observe/observe.hpp"

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>

#include <spdlog/spdlog.h>

#include "gravity_sync/node/peers.hpp"
#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/process.hpp"

namespace gs {

namespace {

bool failed(const RunReport& report) { return report.code != ExitCode::ok && report.code != ExitCode::differs; }

std::string changed_items(const RunReport& report) {
  std::string out;
  for (const auto& r : report.items) {
    if ((r.plan.action == Action::pull || r.plan.action == Action::push) && r.outcome == Outcome::ok) {
      out += (out.empty() ? "" : " ") + std::string(item_name(r.item)) + ":" + action_name(r.plan.action);
    }
  }
  return out;
}

std::string failure_message(const RunReport& report) {
  if (report.error) return report.error->message;
  std::string out;
  for (const auto& r : report.items) {
    if (r.code == report.code && !r.message.empty()) out += (out.empty() ? "" : "; ") + std::string(item_name(r.item)) + ": " + r.message;
  }
  return out;
}

}  // namespace

// Counters survive between runs in <state_dir>/metrics.json, per peer under "peers"; the
// textfile is rendered from them after every run.
void update_metrics(const Config& config, const PeerRef& peer, const RunReport& report, std::chrono::milliseconds duration) {
  if (config.metrics_textfile.empty()) return;
  const std::string store = config.state_dir + "/metrics.json";
  Json doc = Json::object();
  if (auto text = read_file(store)) {
    if (auto parsed = Json::parse(*text); parsed && parsed->is_object()) doc = *parsed;
  }
  Json all = doc["peers"].is_object() ? doc["peers"] : Json::object();
  Json mine = all[peer.name].is_object() ? all[peer.name] : Json::object();
  auto bump = [&](const std::string& family, const std::string& key, int64_t by) {
    Json f = mine[family].is_object() ? mine[family] : Json::object();
    f.set(key, f[key].as_int() + by);
    mine.set(family, f);
  };
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const auto& r : report.items) {
    if ((r.plan.action == Action::pull || r.plan.action == Action::push) && r.outcome == Outcome::ok) {
      const std::string key = std::string(item_name(r.item)) + "|" + action_name(r.plan.action);
      bump("syncs", key, 1);
      bump("bytes", key, static_cast<int64_t>(r.bytes));
    }
  }
  if (failed(report)) {
    bump("failures", std::to_string(static_cast<int>(report.code)), 1);
  } else {
    mine.set("last_success", now);
  }
  mine.set("last_run", now);
  mine.set("last_duration_ms", static_cast<int64_t>(duration.count()));
  mine.set("last_exit_code", static_cast<int>(report.code));
  all.set(peer.name, mine);
  // Only the configured peers: a peer taken out of the config leaves the textfile.
  Json kept = Json::object();
  for (const auto& r : config.remotes) {
    if (all[r.name].is_object()) kept.set(r.name, all[r.name]);
  }
  doc = Json::object();
  doc.set("peers", kept);
  if (make_dirs(config.state_dir, 0755)) (void)write_file_atomic(store, doc.dump() + "\n", 0600);

  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  // One series per peer: {peer="NAME"} (peer names are [a-z0-9-], or a host name for a
  // `remote:` config; neither holds a quote or backslash).
  auto series = [&](const std::string& metric, const std::string& name, const std::string& labels,
                    const std::string& value) {
    out += metric + "{peer=\"" + name + "\"" + labels + "} " + value + "\n";
  };
  auto gauge = [&](const char* metric, const char* help, const std::function<std::string(const Json&)>& value) {
    family(metric, "gauge", help);
    for (const auto& [name, p] : kept.members()) series(metric, name, "", value(p));
  };
  gauge("gravity_sync_last_success_timestamp_seconds", "Time of the last run with the peer that ended without failure.",
        [](const Json& p) { return std::to_string(p["last_success"].as_int()); });
  gauge("gravity_sync_last_run_timestamp_seconds", "Time of the last sync, pull or push run with the peer.",
        [](const Json& p) { return std::to_string(p["last_run"].as_int()); });
  gauge("gravity_sync_last_run_duration_seconds", "Wall time of the last run.", [](const Json& p) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", static_cast<double>(p["last_duration_ms"].as_int()) / 1000.0);
    return std::string(secs);
  });
  gauge("gravity_sync_last_exit_code", "Exit code of the last run with the peer (see the exit code table).",
        [](const Json& p) { return std::to_string(p["last_exit_code"].as_int()); });
  for (const auto& [fam, help] : {std::pair<const char*, const char*>{"syncs", "Items moved, by peer, item and direction."},
                                  {"bytes", "Payload bytes moved, by peer, item and direction."}}) {
    const std::string metric = std::string("gravity_sync_") + fam + "_total";
    family(metric.c_str(), "counter", help);
    for (const auto& [name, p] : kept.members()) {
      if (!p[fam].is_object()) continue;
      // The items in their order, then each settings key the file holds (its name checked:
      // it becomes a label).
      std::vector<Item> items(std::begin(kAllItems), std::end(kAllItems));
      for (const auto& [key, v] : p[fam].members()) {
        auto item = parse_item(key.substr(0, key.find('|')));
        if (item && item->is_setting() && std::find(items.begin(), items.end(), *item) == items.end()) {
          items.push_back(*item);
        }
      }
      for (Item item : items) {
        for (const char* dir : {"pull", "push"}) {
          const Json& v = p[fam][std::string(item_name(item)) + "|" + dir];
          if (v.is_null()) continue;
          series(metric, name, std::string(",item=\"") + item_name(item) + "\",direction=\"" + dir + "\"",
                 std::to_string(v.as_int()));
        }
      }
    }
  }
  family("gravity_sync_failures_total", "counter", "Failed runs, by peer and exit code.");
  for (const auto& [name, p] : kept.members()) {
    for (int code : {2, 3, 4, 5, 6, 7, 8}) {
      const Json& v = p["failures"][std::to_string(code)];
      if (!v.is_null()) series("gravity_sync_failures_total", name, ",code=\"" + std::to_string(code) + "\"", std::to_string(v.as_int()));
    }
  }
  // The textfile collector reads whole files only: write beside it, then rename.
  if (auto st = write_file_atomic(config.metrics_textfile, out, 0644); !st) {
    spdlog::warn("cannot write metrics to {}: {}", config.metrics_textfile, st.error().message);
  }
}

bool run_hook(const Config& config, const std::string& command, const PeerRef& peer, const RunReport& report) {
  std::map<std::string, std::string> env = {
      {"GRAVITY_SYNC_COMMAND", command_name(report.command)},
      {"GRAVITY_SYNC_EXIT_CODE", std::to_string(static_cast<int>(report.code))},
      {"GRAVITY_SYNC_RESULT", failed(report) ? exit_code_reason(report.code) : "ok"},
      {"GRAVITY_SYNC_CHANGED", changed_items(report)},
      {"GRAVITY_SYNC_MESSAGE", failed(report) ? failure_message(report) : ""},
      {"GRAVITY_SYNC_PEER", peer.name},
      {"GRAVITY_SYNC_REMOTE", peer.remote},
  };
  auto r = run_shell(command, "", config.hooks.timeout, env);
  if (!r) {
    spdlog::warn("hook `{}` could not start: {}", command, r.error().message);
    return false;
  }
  if (r->timed_out) {
    spdlog::warn("hook `{}` was stopped after {}", command, format_duration(config.hooks.timeout));
    return false;
  }
  if (r->exit_code != 0) {
    spdlog::warn("hook `{}` exited {}: {}", command, r->exit_code, r->err.substr(0, 300));
    return false;
  }
  spdlog::debug("hook `{}` ran", command);
  return true;
}

void observe_run(const Config& config, const PeerRef& peer, const RunReport& report, std::chrono::milliseconds duration) {
  update_metrics(config, peer, report, duration);
  if (failed(report)) {
    if (!config.hooks.on_failure.empty()) run_hook(config, config.hooks.on_failure, peer, report);
  } else if (report.changed && !config.hooks.on_success.empty()) {
    run_hook(config, config.hooks.on_success, peer, report);
  }
}

}  // namespace gs
