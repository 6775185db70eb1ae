// Fuzz target: what a node's pihole-FTL prints and the files it is read from: the status
// line of FTL's Lua probe, `pihole-FTL sigrtmin`, and the PID file named in pihole.toml
// (v6) or pihole-FTL.conf (v5).
//
// Input: any text, read as each of those.
//
// For every input, nothing crashes or throws, and:
//   - parse_ftl_status gives `ready` or `starting` only with a PID > 0, `not_running` only
//     with PID 0, and a detail without control characters (it goes into logs and reports);
//   - ftl_sigrtmin is always a real-time signal number (32-64);
//   - ftl_pid_file of pihole-FTL.conf (v5) is never empty and holds no line break.

#include "fuzz_support.hpp"
#include "gravity_sync/pihole/ftl_status.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs::fuzz {
namespace {

void check_status(std::string_view output) {
  const FtlStatus status = parse_ftl_status(output);
  if (status.state == FtlState::not_running) {
    require(status.pid == 0, "not_running has no PID", output);
  } else {
    require(status.pid > 0, "ready and starting name a PID", output);
  }
  require(!has_control_chars(status.detail), "the status detail holds no control character", status.detail);
}

void check_sigrtmin(std::string_view printed) {
  for (int major : {5, 6}) {
    const int rt = ftl_sigrtmin(major, printed);
    require(rt >= 32 && rt <= 64, "ftl_sigrtmin is a real-time signal", printed);
  }
}

void check_pid_file(std::string_view text) {
  const std::string v5 = ftl_pid_file(5, "", text);
  require(!v5.empty() && v5.find('\n') == std::string::npos, "the v5 PID file is one non-empty line", v5);
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs::fuzz;
  const std::string_view text = as_text(data, size);
  check_status(text);
  check_sigrtmin(text);
  check_pid_file(text);
  return 0;
}
