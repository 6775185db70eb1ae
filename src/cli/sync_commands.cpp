#include <chrono>
#include <iostream>
#include <optional>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/observe/observe.hpp"
#include "gravity_sync/sync/peer_runs.hpp"
#include "gravity_sync/sync/state.hpp"

namespace gs::cli {

namespace {

struct SyncArgs {
  std::string only;
  std::optional<std::string> peer;  // --peer, when given
  bool dry_run = false;
  bool force = false;
};

int run_command(Command command, const SyncArgs& args, Globals& globals) {
  Config config = load_config_for(globals);
  RunOptions options;
  options.command = command;
  options.items = config.sync.items;
  if (!args.only.empty()) {
    std::string bad;
    std::vector<Item> settings = config.sync.settings;
    settings.insert(settings.end(), config.sync.settings_unsafe.begin(), config.sync.settings_unsafe.end());
    auto items = parse_item_list(args.only, &bad, settings);
    if (!items) {
      return fail(globals, make_error(ExitCode::usage, "--only: \"" + bad +
                                                           "\" is not an item (gravity, custom-dns, cname, static-dhcp, "
                                                           "settings, or settings.KEY for a pihole.toml key)"));
    }
    for (Item item : *items) {
      if (auto st = check_setting_allowed(config.sync, item, "--only: "); !st) return fail(globals, st.error());
    }
    options.items = *items;
  }
  options.dry_run = args.dry_run;
  options.force = args.force;

  auto peers = select_peers(config, args.peer);
  if (!peers) return fail(globals, peers.error());
  // pull makes this node equal to its peer whatever the history: from several peers in
  // turn the last would win and the next sync would carry it over the others' changes.
  if (command == Command::pull && peers->size() > 1) {
    std::string names;
    for (const auto& p : *peers) names += (names.empty() ? "" : ", ") + p.name;
    return fail(globals, make_error(ExitCode::usage, "pull makes this node a copy of one peer: name it with --peer (" +
                                                         names + "); sync merges changes from every peer"));
  }
  const auto started = std::chrono::steady_clock::now();
  auto sessions = connect_all(config, *peers);
  warn_shared_host_keys(host_keys_offered(sessions));
  const PeersReport report = run_peers(config, *peers, sessions, options);
  if (command != Command::compare && !args.dry_run) {
    if (auto st = save_peers_last_run(config, report); !st) {
      spdlog::warn("cannot record the last run: {}", st.error().message);
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    for (const auto& p : report.peers) observe_run(config, PeerRef{p.name, p.remote}, p.report, took);
  }
  if (globals.json) {
    print_json(peers_report_json(report));
  } else if (!globals.quiet) {
    // -q (cron): nothing on stdout; what failed is logged on stderr, once.
    std::cout << peers_report_text(report);
  }
  return static_cast<int>(report.code);
}

std::function<int()> setup(CLI::App& sub, Globals& globals, Command command) {
  auto args = std::make_shared<SyncArgs>();
  sub.add_option("--only", args->only, "only these items (comma-separated: gravity,custom-dns,cname,static-dhcp)");
  sub.add_option("--peer", args->peer, "only these peers (comma-separated names of remotes:)");
  if (command != Command::compare) {
    sub.add_flag("--dry-run", args->dry_run, "report what would be done; change nothing");
    sub.add_flag("--force", args->force, "let a freshly installed gravity.db replace one with configuration");
  }
  return [args, &globals, command] { return run_command(command, *args, globals); };
}

}  // namespace

std::function<int()> setup_compare(CLI::App& sub, Globals& globals) { return setup(sub, globals, Command::compare); }
std::function<int()> setup_sync(CLI::App& sub, Globals& globals) { return setup(sub, globals, Command::sync); }
std::function<int()> setup_pull(CLI::App& sub, Globals& globals) { return setup(sub, globals, Command::pull); }
std::function<int()> setup_push(CLI::App& sub, Globals& globals) { return setup(sub, globals, Command::push); }

}  // namespace gs::cli
