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

// The state directory and the peers ("host:port") of the config at `path`, read leniently
// when the config does not load: `status` must show the running daemon's state exactly
// when the config is broken. Whatever cannot be read keeps its default (Config's).
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> lenient_state_location(
    const std::string& path) {
  Config defaults;
  std::string state_dir = defaults.state_dir;
  std::vector<std::pair<std::string, std::string>> peers;  // name, "host:port"
  auto add = [&](const YAML::Node& remote, bool named) {
    if (!remote || !remote.IsMap() || !remote["host"] || !remote["host"].IsScalar()) return;
    const std::string host = remote["host"].as<std::string>();
    int port = 22;
    if (remote["port"] && remote["port"].IsScalar()) port = remote["port"].as<int>(22);
    std::string name = host;
    if (named && remote["name"] && remote["name"].IsScalar()) name = remote["name"].as<std::string>();
    peers.emplace_back(name, host + ":" + std::to_string(port));
  };
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (root.IsMap() && root["state_dir"] && root["state_dir"].IsScalar()) state_dir = root["state_dir"].as<std::string>();
    if (root.IsMap()) add(root["remote"], false);
    if (root.IsMap() && root["remotes"] && root["remotes"].IsSequence()) {
      for (const auto& remote : root["remotes"]) add(remote, true);
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
  return {state_dir, peers};
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
    std::vector<std::pair<std::string, std::string>> peers;  // name, "host:port"
    bool named = false;
    try {
      Config config = load_config_for(globals);
      state_dir = config.state_dir;
      named = config.named_peers;
      for (const auto& r : config.remotes) peers.emplace_back(r.name, remote_key(r));
    } catch (const ConfigError& e) {
      // Shown, and the state read anyway (the daemon keeps running on its last good config).
      setup_logging(globals.verbosity(), "info");
      std::tie(state_dir, peers) = lenient_state_location(resolve_config_path(globals.config_path));
      named = peers.size() != 1;
      spdlog::warn("{}; showing the state in {}", e.what(), state_dir);
    }
    StateStore store(state_dir, "");
    auto last = store.last_run();
    // The daemon's own state, when one is running (its pid is alive).
    auto daemon = store.daemon_status();
    if (daemon && !is_daemon((*daemon)["pid"].as_int())) daemon.reset();
    // Reloads a node still owes (CONTRACT.md: pending), from the sync history: this
    // node's once, each peer's own.
    struct Owed {
      Side side;
      std::string peer;  // empty for this node
      PendingReload pending;
    };
    std::vector<Owed> pending;
    if (peers.empty()) peers.emplace_back("", "");  // this node's debt is kept apart from any peer's
    for (size_t i = 0; i < peers.size(); ++i) {
      StateStore state(state_dir, peers[i].second);
      if (!state.load()) continue;
      if (i == 0) {
        if (auto p = state.pending_reload(Side::local)) pending.push_back({Side::local, "", *p});
      }
      if (auto p = state.pending_reload(Side::remote)) pending.push_back({Side::remote, peers[i].first, *p});
    }
    if (globals.json) {
      Json doc = Json::object();
      doc.set("last_run", last ? *last : Json());
      doc.set("next_check", daemon ? (*daemon)["next_check"] : Json());
      if (daemon) doc.set("daemon", *daemon);
      Json owed = Json::array();
      for (const auto& o : pending) {
        Json j = pending_reload_json(o.pending);
        j.set("node", side_name(o.side));
        if (named) j.set("peer", o.peer.empty() ? Json() : Json(o.peer));
        owed.push(j);
      }
      doc.set("pending_reloads", owed);
      print_json(doc);
      return 0;
    }
    for (const auto& o : pending) {
      const PendingReload& p = o.pending;
      std::string items;
      for (Item item : p.items) items += (items.empty() ? "" : ", ") + std::string(item_name(item));
      const std::string node = o.side == Side::local ? "local" : named ? "peer " + o.peer + "'s" : "remote";
      std::cout << "pending: the " << node << " node's reload (" << reload_name(p.level)
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
    // One peer's items and error, indented by `indent`.
    auto print_items = [](const Json& run, const std::string& indent) {
      for (const auto& item : run["items"].items()) {
        std::cout << indent << item["name"].as_string() << ": " << item["action"].as_string() << ", "
                  << item["result"].as_string();
        if (!item["message"].is_null()) std::cout << " - " << item["message"].as_string();
        std::cout << "\n";
      }
      if (!run["error"].is_null()) std::cout << indent << "error: " << run["error"]["message"].as_string() << "\n";
    };
    if ((*last)["peers"].is_array()) {
      for (const auto& peer : (*last)["peers"].items()) {
        const int64_t peer_code = peer["exit_code"].as_int();
        std::cout << "  peer " << peer["name"].as_string() << " (" << peer["remote"].as_string() << "): exit "
                  << peer_code << (peer_code == 0 ? " (ok)" : "") << "\n";
        print_items(peer, "    ");
      }
    } else {
      print_items(*last, "  ");
    }
    return 0;
  };
}

}  // namespace gs::cli
