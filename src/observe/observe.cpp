#include "gravity_sync/observe/observe.hpp"

#include <ctime>
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

// Counters survive between runs in <state_dir>/metrics.json; the textfile is rendered
// from them after every run.
void update_metrics(const Config& config, const RunReport& report, std::chrono::milliseconds duration) {
  if (config.metrics_textfile.empty()) return;
  const std::string store = config.state_dir + "/metrics.json";
  Json doc = Json::object();
  if (auto text = read_file(store)) {
    if (auto parsed = Json::parse(*text); parsed && parsed->is_object()) doc = *parsed;
  }
  auto bump = [&](const std::string& family, const std::string& key, int64_t by) {
    Json f = doc[family].is_object() ? doc[family] : Json::object();
    f.set(key, f[key].as_int() + by);
    doc.set(family, f);
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
    doc.set("last_success", now);
  }
  doc.set("last_run", now);
  doc.set("last_duration_ms", static_cast<int64_t>(duration.count()));
  doc.set("last_exit_code", static_cast<int>(report.code));
  if (make_dirs(config.state_dir, 0755)) (void)write_file_atomic(store, doc.dump() + "\n", 0600);

  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  family("gravity_sync_last_success_timestamp_seconds", "gauge", "Time of the last run that ended without failure.");
  out += "gravity_sync_last_success_timestamp_seconds " + std::to_string(doc["last_success"].as_int()) + "\n";
  family("gravity_sync_last_run_timestamp_seconds", "gauge", "Time of the last sync, pull or push run.");
  out += "gravity_sync_last_run_timestamp_seconds " + std::to_string(now) + "\n";
  family("gravity_sync_last_run_duration_seconds", "gauge", "Wall time of the last run.");
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", static_cast<double>(duration.count()) / 1000.0);
  out += std::string("gravity_sync_last_run_duration_seconds ") + secs + "\n";
  family("gravity_sync_last_exit_code", "gauge", "Exit code of the last run (see the exit code table).");
  out += "gravity_sync_last_exit_code " + std::to_string(static_cast<int>(report.code)) + "\n";
  for (const auto& [name, help] : {std::pair<const char*, const char*>{"syncs", "Items moved, by item and direction."},
                                   {"bytes", "Payload bytes moved, by item and direction."}}) {
    const std::string metric = std::string("gravity_sync_") + name + "_total";
    family(metric.c_str(), "counter", help);
    if (!doc[name].is_object()) continue;
    for (Item item : kAllItems) {
      for (const char* dir : {"pull", "push"}) {
        const std::string key = std::string(item_name(item)) + "|" + dir;
        const Json& v = doc[name][key];
        if (v.is_null()) continue;
        out += metric + "{item=\"" + item_name(item) + "\",direction=\"" + dir + "\"} " + std::to_string(v.as_int()) + "\n";
      }
    }
  }
  family("gravity_sync_failures_total", "counter", "Failed runs, by exit code.");
  for (int code : {2, 3, 4, 5, 6, 7, 8}) {
    const Json& v = doc["failures"][std::to_string(code)];
    if (!v.is_null()) out += "gravity_sync_failures_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(v.as_int()) + "\n";
  }
  // The textfile collector reads whole files only: write beside it, then rename.
  if (auto st = write_file_atomic(config.metrics_textfile, out, 0644); !st) {
    spdlog::warn("cannot write metrics to {}: {}", config.metrics_textfile, st.error().message);
  }
}

bool run_hook(const Config& config, const std::string& command, const RunReport& report) {
  std::map<std::string, std::string> env = {
      {"GRAVITY_SYNC_COMMAND", command_name(report.command)},
      {"GRAVITY_SYNC_EXIT_CODE", std::to_string(static_cast<int>(report.code))},
      {"GRAVITY_SYNC_RESULT", failed(report) ? exit_code_reason(report.code) : "ok"},
      {"GRAVITY_SYNC_CHANGED", changed_items(report)},
      {"GRAVITY_SYNC_MESSAGE", failed(report) ? failure_message(report) : ""},
      {"GRAVITY_SYNC_REMOTE", remote_key(config)},
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

void observe_run(const Config& config, const RunReport& report, std::chrono::milliseconds duration) {
  update_metrics(config, report, duration);
  if (failed(report)) {
    if (!config.hooks.on_failure.empty()) run_hook(config, config.hooks.on_failure, report);
  } else if (report.changed && !config.hooks.on_success.empty()) {
    run_hook(config, config.hooks.on_success, report);
  }
}

}  // namespace gs
