#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/sync/state.hpp"

namespace gs::cli {

std::function<int()> setup_status(CLI::App&, Globals& globals) {
  return [&globals] {
    Config config = load_config_for(globals);
    StateStore state(config.state_dir, remote_key(config));
    auto last = state.last_run();
    // The daemon's own state, when one is running (its pid is alive).
    auto daemon = state.daemon_status();
    if (daemon && ::kill(static_cast<pid_t>((*daemon)["pid"].as_int()), 0) != 0 && errno == ESRCH) daemon.reset();
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
      std::cout << "no run recorded yet in " << config.state_dir << "\n";
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
