#include "gravity_sync/util/error.hpp"

namespace gs {

const char* exit_code_reason(ExitCode code) {
  switch (code) {
    case ExitCode::ok: return "ok";
    case ExitCode::differs: return "differs";
    case ExitCode::usage: return "usage";
    case ExitCode::unreachable: return "unreachable";
    case ExitCode::host_key: return "host_key";
    case ExitCode::refused: return "refused";
    case ExitCode::conflict: return "conflict";
    case ExitCode::locked: return "locked";
    case ExitCode::failure: return "failure";
  }
  return "failure";
}

namespace {
// Higher is worse. Items end with 0, 5, 6 or 8; precedence is 8 > 5 > 6.
int severity(ExitCode code) {
  switch (code) {
    case ExitCode::ok: return 0;
    case ExitCode::differs: return 1;
    case ExitCode::conflict: return 2;
    case ExitCode::refused: return 3;
    case ExitCode::failure: return 4;
    default: return 5;  // 2, 3, 4, 7 stop a run before any item
  }
}
}  // namespace

ExitCode worse(ExitCode a, ExitCode b) { return severity(b) > severity(a) ? b : a; }

Error with_context(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

}  // namespace gs
