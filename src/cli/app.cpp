#include "gravity_sync/cli/app.hpp"

#include <csignal>
#include <unistd.h>
#include <iostream>
#include <string_view>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/util/progress.hpp"
#include "gravity_sync/version.hpp"

namespace gs::cli {

int run(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  setup_logging(Verbosity::normal);

  CLI::App app{"gravity-sync: keep two Pi-hole DNS servers configured alike", "gravity-sync"};
  app.require_subcommand(1);
  Globals globals;
  app.add_option("-c,--config", globals.config_path, "config file (default /etc/gravity-sync/gravity-sync.yaml)")
      ->envname("GRAVITY_SYNC_CONFIG");
  auto* verbose = app.add_flag("-v,--verbose", globals.verbose, "debug output");
  app.add_flag("-q,--quiet", globals.quiet, "only warnings and errors")->excludes(verbose);
  app.add_flag("--json", globals.json, "print one JSON document on stdout");

  std::function<int()> action;
  for (const auto& spec : command_table()) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    sub->fallthrough();
    auto runner = spec.setup(*sub, globals);
    sub->callback([&action, runner] { action = runner; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 has its own codes (106, 109...); the contract says usage errors are 2. Its
    // message goes to stderr; with --json anywhere on the line (the parse may have
    // stopped before reaching it), stdout still gets the one document.
    app.exit(e);
    for (int i = 1; i < argc; ++i) {
      if (std::string_view(argv[i]) == "--") break;
      if (std::string_view(argv[i]) == "--json") {
        print_error_json(make_error(ExitCode::usage, e.what()));
        break;
      }
    }
    return static_cast<int>(ExitCode::usage);
  }
  setup_logging(globals.verbosity());
  // Progress lines only for a person watching: stderr a terminal, not quiet, not JSON.
  Progress::enable(::isatty(STDERR_FILENO) && !globals.quiet && !globals.json);
  try {
    return action ? action() : static_cast<int>(ExitCode::usage);
  } catch (const ConfigError& e) {
    return fail(globals, make_error(ExitCode::usage, e.what()));
  } catch (const std::exception& e) {
    return fail(globals, make_error(ExitCode::failure, std::string("unexpected error: ") + e.what()));
  }
}

Config load_config_for(const Globals& globals) {
  Config config = load_config(resolve_config_path(globals.config_path));
  setup_logging(globals.verbosity(), config.log_level);
  spdlog::debug("gravity-sync {} with config {}", kVersion, config.path);
  return config;
}

void print_json(const Json& doc) { std::cout << doc.dump() << std::endl; }

void print_error_json(const Error& error) {
  Json doc = Json::object();
  doc.set("error", error_json(error));
  print_json(doc);
}

int fail(const Globals& globals, const Error& error) {
  spdlog::error("{}", error.message);
  if (globals.json) print_error_json(error);
  return static_cast<int>(error.code);
}

}  // namespace gs::cli
