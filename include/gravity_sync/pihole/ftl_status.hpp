#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gs {

// Whether a node's pihole-FTL can take a reload signal now.
//
// `pihole reloadlists` (v6) and `pihole restartdns reload-lists` / `reload` (v5) send
// SIGRTMIN / SIGHUP to the PID in FTL's PID file. FTL writes that file before it installs
// its handlers, so a signal sent while FTL starts — at boot, or during the restart FTL v6
// does by itself after a dns.cnameRecords, dhcp.hosts or misc.dnsmasq_lines change —
// terminates it, and the script still exits 0 (measured on real FTL v6.4.1 and v5.25.2,
// ../shared/pihole-real/README.md). FTL catches every real-time signal from SIGRTMIN up
// and SIGHUP once it is ready (src/signals.c handle_realtime_signals); /proc/PID/status
// shows them in SigCgt.
enum class FtlState {
  ready,        // running, SIGHUP and SIGRTMIN caught: a reload is safe
  starting,     // running, but not yet catching them
  not_running,  // no PID file, or its PID is not a running pihole-FTL
};

struct FtlStatus {
  FtlState state = FtlState::not_running;
  long pid = 0;
  std::string detail;  // for messages: what was found
};

// The PID file FTL writes, as FTL sees its file system: v6 `files.pid` in pihole.toml
// (`toml_text`; FTL's default /run/pihole-FTL.pid), v5 `PIDFILE=` in pihole-FTL.conf
// (`conf_text`; the same default, as Pi-hole's getFTLPIDFile reads it).
std::string ftl_pid_file(int major, std::string_view toml_text, std::string_view conf_text);

// SIGRTMIN of that FTL: v6 prints it (`pihole-FTL sigrtmin`, 34 with glibc, 35 with musl
// as in Pi-hole's Alpine container image); v5 has no such command and its script sends
// bash's RTMIN (glibc: 34). `printed` is what `sigrtmin` printed, or empty.
int ftl_sigrtmin(int major, std::string_view printed);

// The argv (after the ftl command) that reports the status of the FTL whose PID file is
// `pid_file`: a short program for FTL's embedded Lua interpreter (`pihole-FTL lua`), which
// runs wherever pihole-FTL runs (host, container, the lab's namespaces) and sees FTL's own
// PID file and /proc. It prints one line: READY PID, STARTING PID, or NOTRUNNING WHY.
std::vector<std::string> ftl_status_args(const std::string& pid_file, int sigrtmin);

// Parse that line. Anything else (a wrapper's noise included) is `not_running` with the
// text in `detail`.
FtlStatus parse_ftl_status(std::string_view output);

}  // namespace gs
