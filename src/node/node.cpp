#include "gravity_sync/node/node.hpp"

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <thread>

#include <spdlog/spdlog.h>

#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/util/sha256.hpp"

namespace gs {

Result<NewStaged> new_staged(Item item, const std::string& dir) {
  if (auto st = ensure_private_dir(dir); !st) return st.error();
  auto tmp = create_temp_file(dir, kTempPrefix, backup_suffix(item));
  if (!tmp) return tmp.error();
  NewStaged out;
  out.staged.item = item;
  out.staged.path = tmp->path;
  out.staged.cleanup = std::make_unique<RemoveOnExit>(tmp->path);
  out.fd = std::move(tmp->fd);
  return out;
}

ItemState value_state(Item item, const Result<PiholeToml>& toml, std::optional<int64_t> mtime, const char* where) {
  ItemState s;
  auto records = toml ? with_context(records_from_toml(*toml, item), where) : Result<Records>(toml.error());
  if (records) {
    s.exists = true;
    s.sha256 = s.canonical = records_digest(item, *records);
    s.changed_at = mtime;
  } else {
    s.error = records.error().message;
    s.error_code = records.error().code;
  }
  return s;
}

void add_unreadable_values(NodeProbe& probe, const Result<PiholeToml>& toml, const std::vector<Item>& items,
                           const char* where) {
  for (Item item : items) {
    if (item == Item::gravity) continue;
    const ItemState s = value_state(item, toml, std::nullopt, where);
    if (!s.error.empty()) probe.problems.push_back(std::string(ftl_key(item)) + " cannot be read: " + s.error);
  }
}

Result<Staged> staged_records(NewStaged fresh, const Records& records) {
  Staged& staged = fresh.staged;
  const std::string content = file_from_records(staged.item, records);
  if (auto st = write_all(fresh.fd.get(), content.data(), content.size()); !st) return st.error();
  if (::fsync(fresh.fd.get()) != 0) return make_error(ExitCode::failure, "cannot fsync " + staged.path);
  staged.size = content.size();
  staged.sha256 = sha256_hex(content);
  staged.digest = records_digest(staged.item, records);
  staged.form = TextForm::records;
  return std::move(staged);
}

namespace {

// How long FTL may be seen not running (no PID file, or not its process) before it counts
// as stopped: FTL v6 removes its PID file for about a second while it restarts itself.
constexpr Millis kNotRunningGrace{5'000};

// Poll `node`'s FTL until it is ready, or `wait` is over, or it has not been running for
// kNotRunningGrace; the last status seen.
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

bool ftl_set_restarts(Item item) { return item == Item::cname || item == Item::static_dhcp; }

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
