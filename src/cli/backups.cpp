#include <ctime>
#include <iostream>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"

namespace gs::cli {

namespace {

Result<std::vector<BackupEntry>> all_backups(Peers& peers) {
  auto local = peers.local.backups();
  if (!local) return local.error();
  auto remote = peers.remote.backups();
  if (!remote) return remote.error();
  auto all = *local;
  all.insert(all.end(), remote->begin(), remote->end());
  return all;
}

}  // namespace

std::function<int()> setup_backups(CLI::App&, Globals& globals) {
  return [&globals] {
    Config config = load_config_for(globals);
    auto peers = connect_peers(config);
    if (!peers) return fail(globals, peers.error());
    auto all = all_backups(**peers);
    if (!all) return fail(globals, all.error());
    if (globals.json) {
      Json list = Json::array();
      for (const auto& b : *all) {
        Json j = Json::object();
        j.set("id", b.id);
        j.set("node", b.node);
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
        std::printf("%-44s %-6s %-12s %s %10llu bytes\n", b.id.c_str(), b.node.c_str(), item_name(b.item),
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
    auto all = all_backups(**peers);
    if (!all) return fail(globals, all.error());
    const BackupEntry* entry = nullptr;
    for (const auto& b : *all) {
      if (b.id == *id) entry = &b;
    }
    if (!entry) return fail(globals, make_error(ExitCode::usage, "no backup with id " + *id + " (see `gravity-sync backups`)"));
    Node& node = entry->node == "local" ? static_cast<Node&>((*peers)->local) : static_cast<Node&>((*peers)->remote);
    auto local_lock = (*peers)->local.lock(Millis(60'000));
    if (!local_lock) return fail(globals, local_lock.error());
    std::unique_ptr<NodeLock> remote_lock;
    if (&node == &(*peers)->remote) {
      auto lock = (*peers)->remote.lock(Millis(60'000));
      if (!lock) return fail(globals, lock.error());
      remote_lock = std::move(*lock);
    }
    auto state = node.inspect({entry->item});
    if (!state) return fail(globals, state.error());
    auto installed = node.restore(*entry, (*state)[entry->item]);
    if (!installed) return fail(globals, with_context(installed.error(), "restore " + *id));
    auto reloaded = reload_when_ready(node, reload_for(entry->item, node.major_version()), kFtlReadyWait);
    node.release_replaced(kReleaseWait);
    if (!reloaded) {
      return fail(globals, make_error(ExitCode::failure, "restored, but the reload failed: " + reloaded.error().message));
    }
    if (globals.json) {
      Json doc = Json::object();
      doc.set("restored", *id);
      doc.set("backup", installed->backup_id);
      print_json(doc);
    } else {
      std::cout << "restored " << *id << " on the " << entry->node << " node"
                << (installed->backup_id ? " (what it replaced is backup " + *installed->backup_id + ")" : "")
                << "; the next `gravity-sync sync` carries it to the other node\n";
    }
    return 0;
  };
}

}  // namespace gs::cli
