#pragma once

#include <string>

namespace gs {

// How chatty the log is: -v, default, -q.
enum class Verbosity { quiet, normal, verbose };

// Set up the one spdlog logger on stderr. `config_level` is the config's log.level
// ("debug", "info", ...) and applies when `verbosity` is normal. Under systemd
// (JOURNAL_STREAM set) lines carry no timestamp: the journal adds its own.
void setup_logging(Verbosity verbosity, const std::string& config_level = "info");

// While one exists, every line this thread logs starts with "peer NAME: " (a run over
// several peers; the daemon's cycle of one peer). Scopes do not nest.
class PeerLogScope {
 public:
  explicit PeerLogScope(const std::string& name);
  ~PeerLogScope();
  PeerLogScope(const PeerLogScope&) = delete;
  PeerLogScope& operator=(const PeerLogScope&) = delete;
};

}  // namespace gs
