#include <iostream>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"

namespace gs::cli {

namespace {

Json probe_json(const NodeProbe& p) {
  Json j = Json::object();
  j.set("pihole_major", p.major);
  j.set("ftl_version", p.ftl_version);
  j.set("gravity_schema", p.schema_version);
  Json problems = Json::array();
  for (const auto& s : p.problems) problems.push(s);
  j.set("problems", problems);
  return j;
}

void print_probe(const char* side, const NodeProbe& p) {
  std::cout << side << ": Pi-hole v" << p.major << (p.ftl_version.empty() ? "" : " (FTL " + p.ftl_version + ")")
            << ", gravity.db schema " << p.schema_version << "\n";
  for (const auto& s : p.problems) std::cout << "  problem: " << s << "\n";
}

}  // namespace

int run_check(const Globals& globals) {
  {
    Config config = load_config_for(globals);
    if (!globals.json) std::cout << "config: " << config.path << " is valid\n";
    auto peers = connect_peers(config);
    if (!peers) return fail(globals, peers.error());
    if (!globals.json) {
      std::cout << "remote: connected to " << (*peers)->session.peer() << ", host key "
                << (*peers)->session.host_key_fingerprint() << " pinned in " << config.remote.known_hosts << "\n";
    }
    auto local = (*peers)->local.probe(config.sync.items);
    auto remote = (*peers)->remote.probe(config.sync.items);
    if (!local) return fail(globals, local.error());
    if (!remote) return fail(globals, remote.error());
    ExitCode code = ExitCode::ok;
    std::string problems;
    for (const auto& s : local->problems) problems += (problems.empty() ? "local: " : "; local: ") + s;
    for (const auto& s : remote->problems) problems += (problems.empty() ? "remote: " : "; remote: ") + s;
    if (!problems.empty()) code = ExitCode::refused;
    if (globals.json) {
      Json doc = Json::object();
      doc.set("config", config.path);
      doc.set("host_key", (*peers)->session.host_key_fingerprint());
      doc.set("local", probe_json(*local));
      doc.set("remote", probe_json(*remote));
      if (code != ExitCode::ok) {
        Json e = Json::object();
        e.set("code", static_cast<int>(code));
        e.set("message", "Pi-hole there is missing, incomplete or cannot be read: " + problems);
        doc.set("error", e);
      }
      print_json(doc);
    } else {
      print_probe("local", *local);
      print_probe("remote", *remote);
      std::cout << (code == ExitCode::ok ? "check: OK\n" : "check: FAILED\n");
    }
    if (code != ExitCode::ok) spdlog::error("Pi-hole there is missing, incomplete or cannot be read: {}", problems);
    return static_cast<int>(code);
  }
}

std::function<int()> setup_check(CLI::App&, Globals& globals) {
  return [&globals] { return run_check(globals); };
}

}  // namespace gs::cli
