#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/log/log.hpp"
#include "gravity_sync/node/peers.hpp"
#include "gravity_sync/ssh/session.hpp"
#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/json.hpp"

namespace gs::cli {

// The global options, shared by every command.
struct Globals {
  std::string config_path;
  bool verbose = false;
  bool quiet = false;
  bool json = false;

  Verbosity verbosity() const { return verbose ? Verbosity::verbose : quiet ? Verbosity::quiet : Verbosity::normal; }
};

// One command of the table: its name, its help, how it adds its options, how it runs.
struct CommandSpec {
  const char* name;
  const char* help;
  // Add the command's own options to `sub`; return the function that runs it.
  std::function<std::function<int()>(CLI::App& sub, Globals& globals)> setup;
};

// The commands, in the order `--help` lists them. Defined in commands.cpp.
const std::vector<CommandSpec>& command_table();

// Load the config named by the globals and set up logging with its level.
// Throws ConfigError.
Config load_config_for(const Globals& globals);

// Print `doc` on stdout as one line.
void print_json(const Json& doc);

// Print `{"error": {"code", "message"}}` on stdout (docs/gravity-sync.schema.json, failure).
void print_error_json(const Error& error);

// Print `{"error": {...}}` (with --json) or log the error; return its exit code.
int fail(const Globals& globals, const Error& error);

// `check` for the config named by `globals`; its exit code. (init ends with it.)
int run_check(const Globals& globals);

// Each command's setup function, one file each.
std::function<int()> setup_version(CLI::App& sub, Globals& globals);
std::function<int()> setup_check(CLI::App& sub, Globals& globals);
std::function<int()> setup_compare(CLI::App& sub, Globals& globals);
std::function<int()> setup_sync(CLI::App& sub, Globals& globals);
std::function<int()> setup_pull(CLI::App& sub, Globals& globals);
std::function<int()> setup_push(CLI::App& sub, Globals& globals);
std::function<int()> setup_status(CLI::App& sub, Globals& globals);
std::function<int()> setup_backups(CLI::App& sub, Globals& globals);
std::function<int()> setup_restore(CLI::App& sub, Globals& globals);
std::function<int()> setup_daemon(CLI::App& sub, Globals& globals);
std::function<int()> setup_import_legacy(CLI::App& sub, Globals& globals);
std::function<int()> setup_init(CLI::App& sub, Globals& globals);

}  // namespace gs::cli
