#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>
#include <sstream>
#include <vector>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/sync/state.hpp"

namespace gs::cli {

namespace {

// The state directory and the peer ("host:port") of the config at `path`, read leniently
// when the config does not load: `status` must show the running daemon's state exactly
// when the config is broken. Whatever cannot be read keeps its default (Config's).
std::pair<std::string, std::string> lenient_state_location(const std::string& path) {
  Config defaults;
  std::string state_dir = defaults.state_dir;
  std::string host;
  int port = 22;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (root.IsMap() && root["state_dir"] && root["state_dir"].IsScalar()) state_dir = root["state_dir"].as<std::string>();
    const YAML::Node remote = root.IsMap() ? root["remote"] : YAML::Node();
    if (remote && remote.IsMap()) {
      if (remote["host"] && remote["host"].IsScalar()) host = remote["host"].as<std::string>();
      if (remote["port"] && remote["port"].IsScalar()) port = remote["port"].as<int>(22);
    }
  } catch (const YAML::Exception&) {
    // Not even YAML: a top-level `state_dir: PATH` line still says where the state is.
    if (auto text = read_file(path, 1 << 20)) {
      std::istringstream lines(*text);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("state_dir:", 0) != 0) continue;
        std::string value = line.substr(10);
        value = value.substr(0, value.find(" #"));
        value.erase(0, value.find_first_not_of(" \t\"'"));
        value.erase(value.find_last_not_of(" \t\r\"'") + 1);
        if (!value.empty()) state_dir = value;
      }
    }
  }
  return {state_dir, host.empty() ? std::string() : host + ":" + std::to_string(port)};
}

// Whether `pid` is a running `gravity-sync ... daemon`, from its /proc/PID/cmdline: a pid
// left in daemon.json by a daemon that was killed may since belong to anything (after a
// reboot, almost certainly to something else).
bool is_daemon(int64_t pid) {
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) return false;
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  if (!cmdline) return false;
  std::vector<std::string> argv;
  std::istringstream words(*cmdline);
  for (std::string word; std::getline(words, word, '\0');) argv.push_back(word);
  if (argv.empty()) return false;
  const std::string program = argv.front().substr(argv.front().rfind('/') + 1);
  return program.rfind("gravity-sync", 0) == 0 && std::find(argv.begin() + 1, argv.end(), "daemon") != argv.end();
}

}  // namespace

std::function<int()> setup_status(CLI::App&, Globals& globals) {
  return [&globals] {
    std::string state_dir;
    std::string peer;
    try {
      Config config = load_config_for(globals);
      state_dir = config.state_dir;
      peer = remote_key(config);
    } catch (const ConfigError& e) {
      // Shown, and the state read anyway (the daemon keeps running on its last good config).
      setup_logging(globals.verbosity(), "info");
      std::tie(state_dir, peer) = lenient_state_location(resolve_config_path(globals.config_path));
      spdlog::warn("{}; showing the state in {}", e.what(), state_dir);
    }
    StateStore state(state_dir, peer);
    auto last = state.last_run();
    // The daemon's own state, when one is running (its pid is alive).
    auto daemon = state.daemon_status();
    if (daemon && !is_daemon((*daemon)["pid"].as_int())) daemon.reset();
    // Reloads a node still owes (CONTRACT.md: pending), from the sync history.
    std::vector<std::pair<Side, PendingReload>> pending;
    if (state.load()) {
      for (Side side : {Side::local, Side::remote}) {
        if (auto p = state.pending_reload(side)) pending.emplace_back(side, *p);
      }
    }
    if (globals.json) {
      Json doc = Json::object();
      doc.set("last_run", last ? *last : Json());
      doc.set("next_check", daemon ? (*daemon)["next_check"] : Json());
      if (daemon) doc.set("daemon", *daemon);
      Json owed = Json::array();
      for (const auto& [side, p] : pending) {
        Json j = pending_reload_json(p);
        j.set("node", side_name(side));
        owed.push(j);
      }
      doc.set("pending_reloads", owed);
      print_json(doc);
      return 0;
    }
    for (const auto& [side, p] : pending) {
      std::string items;
      for (Item item : p.items) items += (items.empty() ? "" : ", ") + std::string(item_name(item));
      std::cout << "pending: the " << side_name(side) << " node's reload (" << reload_name(p.level)
                << (p.rebuild ? ", and pihole -g" : "") << ") for " << (items.empty() ? "its items" : items)
                << " has failed since " << format_local_time(p.since, "%Y-%m-%d %H:%M:%S %Z")
                << "; every run retries it: " << p.error << "\n";
    }
    if (daemon) {
      const std::string when = format_local_time((*daemon)["next_check"].as_int(), "%H:%M:%S");
      std::cout << "daemon: pid " << (*daemon)["pid"].as_int() << ", " << (*daemon)["state"].as_string()
                << ((*daemon)["message"].as_string().empty() ? "" : " - " + (*daemon)["message"].as_string())
                << ", next check " << when << "\n";
    }
    if (!last) {
      std::cout << "no run recorded yet in " << state_dir << "\n";
      return 0;
    }
    const std::string when = format_local_time((*last)["time"].as_int(), "%Y-%m-%d %H:%M:%S %Z");
    const int64_t code = (*last)["exit_code"].as_int();
    std::cout << "last run: " << (*last)["command"].as_string() << " at " << when << ", exit " << code
              << (code == 0 ? " (ok)" : "") << "\n";
    for (const auto& item : (*last)["items"].items()) {
      std::cout << "  " << item["name"].as_string() << ": " << item["action"].as_string() << ", "
                << item["result"].as_string();
      if (!item["message"].is_null()) std::cout << " - " << item["message"].as_string();
      std::cout << "\n";
    }
    if (!(*last)["error"].is_null()) std::cout << "  error: " << (*last)["error"]["message"].as_string() << "\n";
    return 0;
  };
}

}  // namespace gs::cli
