#include "gravity_sync/log/log.hpp"

#include <cstdlib>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace gs {

namespace {

thread_local std::string peer_prefix;  // PeerLogScope's "peer NAME: ", or empty

// "%P" prints the peer of the current PeerLogScope.
class PeerFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    dest.append(peer_prefix.data(), peer_prefix.data() + peer_prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<PeerFlag>(); }
};

// "%*" prints the sd-daemon(3) priority prefix ("<3>" for errors), which journald turns
// into the line's priority when it reads our stderr.
class JournalPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const char* prefix = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::info: prefix = "<6>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      default: break;
    }
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriorityFlag>(); }
};
}  // namespace

void setup_logging(Verbosity verbosity, const std::string& config_level) {
  auto logger = spdlog::get("gravity-sync");
  if (!logger) {
    logger = spdlog::stderr_color_mt("gravity-sync");
    spdlog::set_default_logger(logger);
  }
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    // The journal adds its own timestamp; a second one would only repeat it.
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JournalPriorityFlag>('*').add_flag<PeerFlag>('P').set_pattern("%*%P%v");
    logger->set_formatter(std::move(formatter));
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<PeerFlag>('P').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %P%v");
    logger->set_formatter(std::move(formatter));
  }
  spdlog::level::level_enum level = spdlog::level::from_str(config_level);
  if (verbosity == Verbosity::verbose) level = spdlog::level::debug;
  if (verbosity == Verbosity::quiet) level = spdlog::level::warn;
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
}

PeerLogScope::PeerLogScope(const std::string& name) { peer_prefix = "peer " + name + ": "; }
PeerLogScope::~PeerLogScope() { peer_prefix.clear(); }

}  // namespace gs
