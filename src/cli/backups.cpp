#include <algorithm>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/log/log.hpp"
#include "gravity_sync/sync/restore.hpp"
#include "gravity_sync/sync/state.hpp"

namespace gs::cli {

std::function<int()> setup_backups(CLI::App& sub, Globals& globals) {
  auto peer = std::make_shared<std::optional<std::string>>();
  sub.add_option("--peer", *peer, "only these peers (comma-separated names of remotes:)");
  return [peer, &globals] {
    Config config = load_config_for(globals);
    auto peers = select_peers(config, *peer);
    if (!peers) return fail(globals, peers.error());
    auto sessions = connect_all(config, *peers);
    // This node's backups once, then each peer's; a peer that cannot be reached is named
    // and the others are still listed (its code is the run's).
    struct Listed {
      BackupEntry entry;
      std::string peer;  // empty for this node's
    };
    std::vector<Listed> listed;
    ExitCode code = ExitCode::ok;
    std::vector<Error> errors;
    bool local_listed = false;
    for (size_t i = 0; i < peers->size(); ++i) {
      std::optional<PeerLogScope> scope;
      if (config.named_peers) scope.emplace((*peers)[i].name);
      if (!sessions[i]) {
        code = worse(code, sessions[i].error().code);
        errors.push_back(with_context(sessions[i].error(), "peer " + (*peers)[i].name));
        continue;
      }
      auto all = all_backups((*sessions[i])->local, (*sessions[i])->remote);
      if (!all) {
        code = worse(code, all.error().code);
        errors.push_back(with_context(all.error(), "peer " + (*peers)[i].name));
        continue;
      }
      for (auto& b : *all) {
        if (b.side == Side::local && local_listed) continue;
        listed.push_back({b, b.side == Side::remote ? (*peers)[i].name : ""});
      }
      local_listed = true;
    }
    const bool named = config.named_peers;
    if (globals.json) {
      Json list = Json::array();
      for (const auto& [b, name] : listed) {
        Json j = Json::object();
        j.set("id", b.id);
        j.set("node", side_name(b.side));
        if (named) j.set("peer", name.empty() ? Json() : Json(name));
        j.set("item", item_name(b.item));
        j.set("time", b.time);
        j.set("size", b.size);
        list.push(j);
      }
      if (code != ExitCode::ok) {
        // One document: the failure, with every backup that could be listed.
        std::string msg;
        for (const auto& e : errors) msg += (msg.empty() ? "" : "; ") + e.message;
        Json doc = Json::object();
        doc.set("error", error_json(Error{code, msg}));
        doc.set("backups", list);
        print_json(doc);
      } else {
        print_json(list);
      }
    } else {
      if (listed.empty() && code == ExitCode::ok) std::cout << "no backups yet\n";
      // Columns as wide as their longest entry (settings.KEY names are long).
      int id_width = 44, item_width = 12;
      for (const auto& [b, name] : listed) {
        id_width = std::max(id_width, static_cast<int>(b.id.size()));
        item_width = std::max(item_width, static_cast<int>(std::strlen(item_name(b.item))));
      }
      for (const auto& [b, name] : listed) {
        const std::string node = named && !name.empty() ? name : side_name(b.side);
        std::printf("%-*s %-12s %-*s %s %10llu bytes\n", id_width, b.id.c_str(), node.c_str(), item_width,
                    item_name(b.item), format_local_time(b.time, "%Y-%m-%d %H:%M:%S").c_str(),
                    static_cast<unsigned long long>(b.size));
      }
    }
    for (const auto& e : errors) spdlog::error("{}", e.message);
    return static_cast<int>(code);
  };
}

std::function<int()> setup_restore(CLI::App& sub, Globals& globals) {
  auto id = std::make_shared<std::string>();
  auto peer = std::make_shared<std::optional<std::string>>();
  sub.add_option("ID", *id, "the id of a backup, as `backups` lists it")->required();
  sub.add_option("--peer", *peer, "the peer whose backup it is (remotes:)");
  return [id, peer, &globals] {
    Config config = load_config_for(globals);
    auto peers = select_peers(config, *peer);
    if (!peers) return fail(globals, peers.error());
    // A remote backup belongs to one peer; this node's can be restored beside any.
    if (peers->size() > 1 && id->rfind("local:", 0) != 0) {
      std::string names;
      for (const auto& p : *peers) names += (names.empty() ? "" : ", ") + p.name;
      return fail(globals, make_error(ExitCode::usage, "restore " + *id + ": name its peer with --peer (" + names + ")"));
    }
    const RemoteConfig& chosen = peers->front();
    std::optional<PeerLogScope> scope;  // this node's backup is no peer's
    if (config.named_peers && id->rfind("local:", 0) != 0) scope.emplace(chosen.name);
    auto session = connect_peers(config, chosen);
    if (!session) return fail(globals, session.error());
    StateStore state(config.state_dir, remote_key(chosen));
    auto restored = restore_backup((*session)->local, (*session)->remote, state, *id, Millis(60'000), kFtlReadyWait);
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
