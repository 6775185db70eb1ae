#include "gravity_sync/node/pihole_node.hpp"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "gravity_sync/util/cancel.hpp"

// The last step of the flow: the lightest reload that applies a change, sent only to an FTL
// that can take it (reload_when_ready), and the pacing of changes to one node's FTL.

namespace gs {

Status PiholeNode::reload_ready() {
  // Through a container, its runtime runs both commands; otherwise each must be found.
  const auto prefix = layout_.container_prefix();
  const std::vector<std::string> needed =
      prefix.empty() ? std::vector<std::string>{layout_.pihole_command, layout_.ftl_command}
                     : std::vector<std::string>{prefix.front()};
  auto missing = missing_commands(needed);
  if (!missing) return missing.error();
  if (missing->empty()) return {};
  std::string names;
  for (const auto& m : *missing) names += (names.empty() ? "" : ", ") + m;
  return make_error(ExitCode::refused, std::string("the ") + name() +
                                           " node could not reload Pi-hole after a change: " + names +
                                           " not found there (see pihole_command, ftl_command and container in the "
                                           "config); nothing was changed there");
}

Status PiholeNode::reload(Reload level) {
  auto args = reload_args(level, major_version());
  if (args.empty()) return {};
  return run_pihole(args, Millis(120'000), "reloading Pi-hole");
}

Status PiholeNode::rebuild_gravity() { return run_pihole({"-g"}, kRebuildTimeout, "rebuilding gravity"); }

Result<FtlStatus> PiholeNode::ftl_status() {
  const int major = major_version();
  if (!pid_file_) {
    // Once per node: FTL's PID file (from pihole.toml or pihole-FTL.conf) and SIGRTMIN.
    auto id = ftl_identity();
    if (!id) return id.error();
    pid_file_ = ftl_pid_file(major, id->toml, id->conf);
    sigrtmin_ = ftl_sigrtmin(major, id->sigrtmin);
  }
  auto printed = run_ftl(ftl_status_args(*pid_file_, sigrtmin_), Millis(30'000));
  if (!printed) return printed.error();
  return parse_ftl_status(*printed);
}

namespace {

// How long FTL may be seen not running (no PID file, or not its process) before it counts
// as stopped: FTL v6 removes its PID file for about a second while it restarts itself.
constexpr Millis kNotRunningGrace{5'000};

}  // namespace

Result<FtlStatus> wait_until_ready(Node& node, Millis wait) {
  const Clock& clock = node.clock();
  const auto start = clock.steady();
  auto running_since = start;  // when FTL was last seen running (or the wait began)
  for (;;) {
    auto st = node.ftl_status();
    if (!st) return st.error();
    const auto now = clock.steady();
    if (st->state != FtlState::not_running) running_since = now;
    if (st->state == FtlState::ready || now - start >= wait || now - running_since >= kNotRunningGrace ||
        cancel_requested()) {
      return st;
    }
    clock.sleep_for(Millis(150));
  }
}

namespace {

std::string level_name(Reload level) {
  switch (level) {
    case Reload::lists:
      return "list reload";
    case Reload::dns:
      return "DNS reload";
    case Reload::restart:
      return "restart";
    case Reload::none:
      break;
  }
  return "reload";
}

}  // namespace

bool ftl_set_restarts(Item item) {
  // misc.privacylevel is not flagged, but FTL restarts when it is lowered (config.c
  // reread_config, "Privacy level was reduced, restarting FTL"): taken as a restart key.
  if (const FtlKey* key = item.ftl_setting()) return (key->flags & kFtlRestart) != 0 || key->key == "misc.privacylevel";
  return item == Item::cname || item == Item::static_dhcp;
}

void FtlPacer::before_change(Node& node) {
  if (!last_) return;
  const Clock& clock = node.clock();
  const auto settle = restarts_ ? kFtlRestartSettle : kFtlSettle;
  const auto until = *last_ + settle;
  while (clock.steady() < until && !cancel_requested()) {
    clock.sleep_for(std::min(std::chrono::ceil<Millis>(until - clock.steady()), Millis(100)));
  }
  if (restarts_) {
    spdlog::debug("{}: waiting for pihole-FTL to finish restarting before the next change", node.name());
    (void)wait_until_ready(node, kFtlReadyWait);  // what follows reports an FTL that did not come back
  }
  last_.reset();
  restarts_ = false;
}

void FtlPacer::after_change(Node& node, bool restarts) {
  last_ = node.clock().steady();
  restarts_ = restarts;
}

Status reload_when_ready(Node& node, Reload level, Millis wait) {
  if (level == Reload::none) return {};
  node.ftl_pacer().before_change(node);
  // Whatever the outcome, a signal may have been sent (a full restart is waited for below).
  struct NoteChange {
    Node& node;
    ~NoteChange() { node.ftl_pacer().after_change(node, false); }
  } note{node};
  const std::string where = std::string("the ") + node.name() + " node";
  if (level != Reload::restart) {
    auto before = wait_until_ready(node, wait);
    if (!before) return before.error();
    if (before->state != FtlState::ready) {
      return make_error(ExitCode::failure, "pihole-FTL on " + where + " " +
                                               (before->state == FtlState::starting
                                                    ? "did not finish starting within " + format_duration(wait)
                                                    : "is not running (" + before->detail + ")") +
                                               "; the " + level_name(level) +
                                               " was not sent: the new configuration is in place and "
                                               "is served once FTL runs");
    }
  }
  if (auto st = node.reload(level); !st) return st;
  // A full restart must bring FTL back; a signal must not have stopped it (a process a
  // signal kills is gone, or a zombie, within milliseconds). FTL may also have begun a
  // restart of its own just then (a CNAME changed there): then it must come back.
  if (level != Reload::restart) node.clock().sleep_for(Millis(50));
  Result<FtlStatus> after = level == Reload::restart ? wait_until_ready(node, wait) : node.ftl_status();
  if (after && after->state == FtlState::not_running && level != Reload::restart) {
    spdlog::debug("{}: pihole-FTL not seen after the {}; waiting for it to come back", node.name(), level_name(level));
    after = wait_until_ready(node, wait);
  }
  if (!after) return after.error();
  if (after->state == FtlState::not_running) {
    return make_error(ExitCode::failure, "pihole-FTL on " + where + " is not running after the " + level_name(level) +
                                             " (" + after->detail + ")");
  }
  spdlog::debug("{}: pihole-FTL {} after the {}", node.name(),
                after->state == FtlState::ready ? "ready" : "still starting", level_name(level));
  return {};
}

}  // namespace gs
