#include <algorithm>
#include <cstring>
#include <iostream>
#include <optional>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/log/log.hpp"

namespace gs::cli {

namespace {

// A node as `compare` and `sync` describe it under "nodes" (engine.cpp versions_json),
// with what check adds: FTL's version and the problems found there.
Json probe_json(const NodeProbe& p) {
  Json j = Json::object();
  j.set("pihole", p.major ? Json(p.major) : Json());
  j.set("gravity_schema", p.schema_version ? Json(p.schema_version) : Json());
  j.set("ftl_version", p.ftl_version.empty() ? Json() : Json(p.ftl_version));
  Json problems = Json::array();
  for (const auto& s : p.problems) problems.push(s);
  j.set("problems", problems);
  return j;
}

void print_probe(const char* side, const NodeProbe& p) {
  if (p.major == 0) {
    std::cout << side << ": no Pi-hole found\n";
  } else {
    std::cout << side << ": Pi-hole v" << p.major << (p.ftl_version.empty() ? "" : " (FTL " + p.ftl_version + ")")
              << ", gravity.db schema " << p.schema_version << "\n";
  }
  for (const auto& s : p.problems) std::cout << "  problem: " << s << "\n";
}

// What sync will need of `node`, exercised read-only the way sync does it: each item read
// and digested (gravity.db's schema version really read), each text item's content checked
// as a receiver checks it, the reload it would run found and FTL running to take it, room
// for the larger of the two nodes' copies and its backup, the lock, the state files, the
// staging area, the backup directories and the items' files and directories usable (probed
// without taking the lock or creating anything: check takes no lock and changes nothing,
// CONTRACT.md). `states` is what inspect read there, `partner` the other node's (for the
// room a received copy needs). Each problem joins `probe.problems`; the first one's code
// is the node's (the first thing that would break).
ExitCode exercise(Node& node, const std::vector<Item>& items, const Result<NodeState>& states,
                  const Result<NodeState>& partner, NodeProbe& probe) {
  ExitCode code = probe.problems.empty() ? ExitCode::ok : ExitCode::refused;
  auto problem = [&](const Error& e) {
    probe.problems.push_back(e.message);
    if (code == ExitCode::ok) code = e.code == ExitCode::ok ? ExitCode::refused : e.code;
  };
  if (!states) {
    problem(states.error());
    return code;
  }
  for (Item item : items) {
    const ItemState& s = states->at(item);
    if (s.error_code != ExitCode::ok) {
      problem(Error{s.error_code, std::string(item_name(item)) + ": " + s.error});
      continue;
    }
    if (item == Item::gravity && s.exists && s.schema_version == 0) {
      problem(make_error(ExitCode::refused, "gravity.db's schema version could not be read there"));
    }
    if (item == Item::gravity && s.exists) probe.schema_version = s.schema_version;
    // Its content, as a receiving node checks it (a CNAME loop, a dhcp-host dnsmasq refuses).
    if (item != Item::gravity && s.exists) {
      if (auto st = node.check_item(item); !st) problem(st.error());
    }
    // Room for whichever copy comes in, and the backup of what it replaces.
    uint64_t bytes = s.size.value_or(0);
    if (partner && partner->count(item)) bytes = std::max(bytes, partner->at(item).size.value_or(0));
    if (auto st = node.check_space(item, bytes, Role::receiving); !st) problem(st.error());
  }
  if (auto st = node.reload_ready(); !st) {
    problem(st.error());
  } else if (auto ftl = node.ftl_status(); !ftl) {
    problem(ftl.error());
  } else if (ftl->state == FtlState::not_running) {
    problem(make_error(ExitCode::failure, "pihole-FTL is not running there (" + ftl->detail +
                                              "): a sync would put files in place but could not reload Pi-hole"));
  }
  if (auto st = node.check_writable(items); !st) problem(st.error());
  return code;
}

}  // namespace

namespace {

// check for one peer: connect, probe and exercise both nodes. `doc` gets the peer's JSON
// ({"host_key", "nodes", "error"?}); `problems` what went wrong, in words. Its exit code.
ExitCode check_peer(const Config& config, const RemoteConfig& peer, Result<std::unique_ptr<Peers>>& peers, bool report,
                    Json& doc, std::string& problems) {
  auto failed = [&](const Error& e) {
    doc.set("error", error_json(e));
    problems = e.message;
    return e.code;
  };
  if (!peers) return failed(peers.error());
  if (report) {
    std::cout << "remote: connected to " << (*peers)->session.peer() << ", host key "
              << (*peers)->session.host_key_fingerprint() << " pinned in " << peer.known_hosts << "\n";
  }
  doc.set("host_key", (*peers)->session.host_key_fingerprint());
  auto local = (*peers)->local.probe(config.sync.items);
  auto remote = (*peers)->remote.probe(config.sync.items);
  if (!local) return failed(local.error());
  if (!remote) return failed(remote.error());
  // Beyond finding Pi-hole: what sync will do, read-only, on each node (first the local).
  const auto& items = config.sync.items;
  const auto local_states = (*peers)->local.inspect(items);
  const auto remote_states = (*peers)->remote.inspect(items);
  const ExitCode local_code = exercise((*peers)->local, items, local_states, remote_states, *local);
  ExitCode remote_code = exercise((*peers)->remote, items, remote_states, local_states, *remote);
  // What the plan refuses whatever the nodes can do: gravity.db of two Pi-hole versions.
  if (local->schema_version != 0 && remote->schema_version != 0 && local->schema_version != remote->schema_version) {
    remote->problems.push_back("gravity.db schema versions differ (local " + std::to_string(local->schema_version) +
                               ", remote " + std::to_string(remote->schema_version) +
                               "): sync never swaps databases of different Pi-hole versions; update Pi-hole on "
                               "both nodes to the same version, or leave gravity out of sync.items");
    if (remote_code == ExitCode::ok) remote_code = ExitCode::refused;
  }
  const ExitCode code = local_code != ExitCode::ok ? local_code : remote_code;
  // Each problem once, under its node's name (unless it already starts with it).
  auto add = [&](const std::string& side, const std::string& s) {
    const bool named = s.rfind(side, 0) == 0 && s.size() > side.size() && std::strchr(" :.", s[side.size()]);
    problems += (problems.empty() ? "" : "; ") + (named ? s : side + ": " + s);
  };
  for (const auto& s : local->problems) add("local", s);
  for (const auto& s : remote->problems) add("remote", s);
  Json nodes = Json::object();
  nodes.set("local", probe_json(*local));
  nodes.set("remote", probe_json(*remote));
  doc.set("nodes", nodes);
  if (code != ExitCode::ok) {
    doc.set("error", error_json(Error{code, "sync could not work: " + problems}));
  }
  if (report) {
    print_probe("local", *local);
    print_probe("remote", *remote);
  }
  return code;
}

}  // namespace

int run_check(const Globals& globals) {
  Config config = load_config_for(globals);
  const bool report = !globals.json && !globals.quiet;  // -q: only the error, on stderr
  if (report) std::cout << "config: " << config.path << " is valid\n";
  const auto& peers = config.remotes;
  auto sessions = connect_all(config, peers);
  warn_shared_host_keys(host_keys_offered(sessions));
  ExitCode code = ExitCode::ok;
  std::string problems;
  Json list = Json::array();
  Json single;
  for (size_t i = 0; i < peers.size(); ++i) {
    std::optional<PeerLogScope> scope;
    if (config.named_peers) scope.emplace(peers[i].name);
    if (report && config.named_peers) std::cout << "peer " << peers[i].name << " (" << remote_key(peers[i]) << "):\n";
    Json doc = Json::object();
    std::string why;
    const ExitCode peer_code = check_peer(config, peers[i], sessions[i], report, doc, why);
    if (peer_code != ExitCode::ok) {
      if (report && config.named_peers && doc["nodes"].is_null()) std::cout << "  error: " << why << "\n";
      problems += (problems.empty() ? "" : "; ") + (config.named_peers ? "peer " + peers[i].name + ": " : "") + why;
    }
    code = worse(code, peer_code);
    if (!config.named_peers) {
      single = doc;
    } else {
      Json entry = Json::object();
      entry.set("name", peers[i].name);
      entry.set("remote", remote_key(peers[i]));
      for (const auto& [k, v] : doc.members()) entry.set(k, v);
      list.push(entry);
    }
  }
  if (globals.json) {
    Json doc = Json::object();
    doc.set("config", config.path);
    if (!config.named_peers) {
      // One peer: a connection that failed is the whole document's error.
      if (single["nodes"].is_null()) return fail(globals, Error{code, problems});
      for (const auto& [k, v] : single.members()) doc.set(k, v);
    } else {
      doc.set("peers", list);
      if (code != ExitCode::ok) {
        doc.set("error", error_json(Error{code, problems}));
      }
    }
    print_json(doc);
  } else if (report) {
    if (!config.named_peers && single["nodes"].is_null()) return fail(globals, Error{code, problems});
    std::cout << (code == ExitCode::ok ? "check: OK\n" : "check: FAILED\n");
  } else if (!config.named_peers && single["nodes"].is_null()) {
    return fail(globals, Error{code, problems});
  }
  // Each problem once: in the report on stdout, or (with -q or --json) logged on stderr.
  if (code != ExitCode::ok && !report) spdlog::error("sync could not work: {}", problems);
  return static_cast<int>(code);
}

std::function<int()> setup_check(CLI::App&, Globals& globals) {
  return [&globals] { return run_check(globals); };
}

}  // namespace gs::cli
