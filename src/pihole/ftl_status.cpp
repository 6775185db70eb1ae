#include "gravity_sync/pihole/ftl_status.hpp"

#include <charconv>

#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

constexpr const char* kDefaultPidFile = "/run/pihole-FTL.pid";

// Reads FTL's PID file, checks /proc/PID/comm and the SigCgt mask in /proc/PID/status.
// arg[1] = PID file, arg[2] = SIGRTMIN. Lua 5.4 (both FTL versions embed it).
constexpr const char* kStatusLua = R"LUA(
local f = io.open(arg[1], "r")
if not f then print("NOTRUNNING no PID file " .. arg[1]) return end
local pid = f:read("l") or ""
f:close()
if not pid:match("^%d+$") then print("NOTRUNNING no PID in " .. arg[1]) return end
local c = io.open("/proc/" .. pid .. "/comm", "r")
local comm = c and c:read("l") or ""
if c then c:close() end
if comm ~= "pihole-FTL" then print("NOTRUNNING PID " .. pid .. " is not a running pihole-FTL") return end
local s = io.open("/proc/" .. pid .. "/status", "r")
local status = s and s:read("a") or ""
if s then s:close() end
local state = status:match("State:%s*(%a)") or "?"
if state == "Z" or state == "X" then print("NOTRUNNING PID " .. pid .. " has exited") return end
local mask = status:match("SigCgt:%s*(%x+)")
if not mask then print("NOTRUNNING PID " .. pid .. " has no status") return end
mask = string.rep("0", 16 - #mask) .. mask
local function caught(sig)
  local word = tonumber(mask:sub(sig <= 32 and 9 or 1, sig <= 32 and 16 or 8), 16)
  return (word >> ((sig - 1) % 32)) & 1 == 1
end
local rt = tonumber(arg[2]) or 34
print(((caught(1) and caught(rt)) and "READY " or "STARTING ") .. pid)
)LUA";

}  // namespace

std::string ftl_pid_file(int major, std::string_view toml_text, std::string_view conf_text) {
  if (major >= 6) {
    auto toml = PiholeToml::parse(toml_text);
    return toml ? toml->string_or("files.pid", kDefaultPidFile) : kDefaultPidFile;
  }
  // v5 getFTLPIDFile: grep '^PIDFILE=' pihole-FTL.conf | cut -d= -f2-
  size_t start = 0;
  while (start < conf_text.size()) {
    size_t end = conf_text.find('\n', start);
    if (end == std::string_view::npos) end = conf_text.size();
    const std::string_view line = conf_text.substr(start, end - start);
    if (line.rfind("PIDFILE=", 0) == 0 && line.size() > 8) return std::string(line.substr(8));
    start = end + 1;
  }
  return kDefaultPidFile;
}

int ftl_sigrtmin(int major, std::string_view printed) {
  int value = 0;
  while (!printed.empty() && (printed.back() == '\n' || printed.back() == '\r')) printed.remove_suffix(1);
  const auto [end, ec] = std::from_chars(printed.data(), printed.data() + printed.size(), value);
  if (major >= 6 && ec == std::errc() && end == printed.data() + printed.size() && value >= 32 && value <= 64) {
    return value;
  }
  return 34;
}

std::vector<std::string> ftl_status_args(const std::string& pid_file, int sigrtmin) {
  return {"lua", "-e", kStatusLua, "/dev/null", pid_file, std::to_string(sigrtmin)};
}

FtlStatus parse_ftl_status(std::string_view output) {
  FtlStatus out;
  // The last non-empty line: a wrapper (sudo, a container runtime) may print before it.
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.remove_suffix(1);
  const size_t nl = output.rfind('\n');
  const std::string_view line = nl == std::string_view::npos ? output : output.substr(nl + 1);
  auto pid_after = [&](std::string_view word) -> long {
    if (line.rfind(word, 0) != 0) return 0;
    long pid = 0;
    const std::string_view rest = line.substr(word.size());
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    return ec == std::errc() && end == rest.data() + rest.size() && pid > 0 ? pid : 0;
  };
  if (const long ready = pid_after("READY ")) {
    out.state = FtlState::ready;
    out.pid = ready;
  } else if (const long starting = pid_after("STARTING ")) {
    out.state = FtlState::starting;
    out.pid = starting;
    out.detail = "pihole-FTL (PID " + std::to_string(starting) + ") is starting";
  } else if (line.rfind("NOTRUNNING ", 0) == 0) {
    out.detail = "pihole-FTL is not running (" + printable(line.substr(11), 200) + ")";
  } else {
    out.detail =
        "cannot tell whether pihole-FTL runs: " + (line.empty() ? std::string("no answer") : printable(line, 200));
  }
  return out;
}

}  // namespace gs
