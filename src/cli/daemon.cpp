#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/daemon/daemon.hpp"

namespace gs::cli {

std::function<int()> setup_daemon(CLI::App&, Globals& globals) {
  return [&globals] { return run_daemon(resolve_config_path(globals.config_path), globals.verbosity()); };
}

}  // namespace gs::cli
