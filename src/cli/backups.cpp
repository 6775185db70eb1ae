#include <ctime>
#include <iostream>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/sync/restore.hpp"
#include "gravity_sync/sync/state.hpp"

namespace gs::cli {

std::function<int()> setup_backups(CLI::App&, Globals& globals) {
  return [&globals] {
    Config config = load_config_for(globals);
    auto peers = connect_peers(config);
    if (!peers) return fail(globals, peers.error());
    auto all = all_backups((*peers)->local, (*peers)->remote);
    if (!all) return fail(globals, all.error());
    if (globals.json) {
      Json list = Json::array();
      for (const auto& b : *all) {
        Json j = Json::object();
        j.set("id", b.id);
        j.set("node", side_name(b.side));
        j.set("item", item_name(b.item));
        j.set("time", b.time);
        j.set("size", b.size);
        list.push(j);
      }
      print_json(list);
    } else if (all->empty()) {
      std::cout << "no backups yet\n";
    } else {
      for (const auto& b : *all) {
        std::printf("%-44s %-6s %-12s %s %10llu bytes\n", b.id.c_str(), side_name(b.side), item_name(b.item),
                    format_local_time(b.time, "%Y-%m-%d %H:%M:%S").c_str(), static_cast<unsigned long long>(b.size));
      }
    }
    return 0;
  };
}

std::function<int()> setup_restore(CLI::App& sub, Globals& globals) {
  auto id = std::make_shared<std::string>();
  sub.add_option("ID", *id, "the id of a backup, as `backups` lists it")->required();
  return [id, &globals] {
    Config config = load_config_for(globals);
    auto peers = connect_peers(config);
    if (!peers) return fail(globals, peers.error());
    StateStore state(config.state_dir, remote_key(config));
    auto restored = restore_backup((*peers)->local, (*peers)->remote, state, *id, Millis(60'000), kFtlReadyWait);
    if (!restored) return fail(globals, restored.error());
    if (globals.json) {
      Json doc = Json::object();
      doc.set("restored", *id);
      doc.set("backup", restored->backup_id);
      print_json(doc);
    } else {
      std::cout << "restored " << *id << " on the " << side_name(restored->entry.side) << " node"
                << (restored->backup_id ? " (what it replaced is backup " + *restored->backup_id + ")" : "")
                << "; the next `gravity-sync sync` carries it to the other node\n";
    }
    return 0;
  };
}

}  // namespace gs::cli
