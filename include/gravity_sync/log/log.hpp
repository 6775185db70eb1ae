#pragma once

#include <string>

namespace gs {

// How chatty the log is: -v, default, -q.
enum class Verbosity { quiet, normal, verbose };

// Set up the one spdlog logger on stderr. `config_level` is the config's log.level
// ("debug", "info", ...) and applies when `verbosity` is normal. Under systemd
// (JOURNAL_STREAM set) lines carry no timestamp: the journal adds its own.
void setup_logging(Verbosity verbosity, const std::string& config_level = "info");

}  // namespace gs
