#include "gravity_sync/daemon/schedule.hpp"

#include <algorithm>

namespace gs {

namespace {

// A missing entry is a missing file, as stat_items() would have said.
FileInfo stat_of(const Stats& stats, Item item) {
  auto it = stats.find(item);
  return it == stats.end() ? FileInfo{} : it->second;
}

}  // namespace

Millis backoff_wait(Millis interval, int failures) {
  if (failures == 0) return interval;
  const Millis cap = std::max(interval, std::min(interval * 16, Millis(300'000)));
  const int shift = std::min(failures - 1, 16);
  return std::min(cap, interval * (int64_t{1} << shift));
}

int64_t next_check_at(int64_t wall_now, Millis wait) { return wall_now + wait.count() / 1000; }

// The full check catches what stats cannot show: a change that kept size and mtime (SFTP
// reports no inode) or one made while a sync was running.
bool full_check_due(SteadyTime now, SteadyTime last_full, Millis interval) {
  return now - last_full >= std::max(kFullCheckPeriod, interval * 20);
}

bool same_file(const FileInfo& a, const FileInfo& b) {
  return a.exists == b.exists && a.size == b.size && a.mtime == b.mtime && a.inode == b.inode;
}

std::vector<Item> items_to_digest(const std::vector<Item>& items, const Baseline& baseline, const Stats& local,
                                  const Stats& remote, bool full) {
  std::vector<Item> changed;
  for (Item item : items) {
    auto it = baseline.find(item);
    const bool same = it != baseline.end() && same_file(it->second.first, stat_of(local, item)) &&
                      same_file(it->second.second, stat_of(remote, item));
    if (full || !same) changed.push_back(item);
  }
  return changed;
}

bool peer_moved(const Baseline& baseline, const Stats& remote, const std::vector<Item>& unsettled) {
  for (const auto& [item, stat] : remote) {
    auto seen = baseline.find(item);
    if (seen == baseline.end()) {
      if (std::find(unsettled.begin(), unsettled.end(), item) == unsettled.end()) return true;
    } else if (!same_file(seen->second.second, stat)) {
      return true;
    }
  }
  return false;
}

// Mtimes have one-second resolution (SFTP reports no more), so a file written in the
// second we looked at it may change again without its stats moving. Like git's "racy"
// index entries, such an item keeps no baseline: the next cycle digests it again.
bool racy(const FileInfo& local, const FileInfo& remote, int64_t stat_time, int64_t remote_offset) {
  return (local.exists && local.mtime >= stat_time - 1) ||
         (remote.exists && remote.mtime >= stat_time + remote_offset - 1);
}

// The new baseline is what we saw before the run. An item this run rewrote has none until
// a later cycle has digested it again: a change made right after our install (before any
// re-stat) must not be mistaken for the install itself.
Baseline next_baseline(Baseline baseline, const std::vector<Item>& digested, const Stats& local, const Stats& remote,
                       const std::vector<Item>& rewritten, int64_t stat_time, int64_t remote_offset) {
  for (Item item : digested) baseline[item] = {stat_of(local, item), stat_of(remote, item)};
  for (Item item : rewritten) baseline.erase(item);
  std::erase_if(baseline, [&](const auto& entry) {
    return racy(entry.second.first, entry.second.second, stat_time, remote_offset);
  });
  return baseline;
}

UnsettledItems next_unsettled(UnsettledItems unsettled, const std::vector<ItemOutcome>& outcomes, SteadyTime now,
                              Millis interval) {
  for (const auto& o : outcomes) {
    if (o.code == ExitCode::ok) {
      unsettled.erase(o.item);
      continue;
    }
    Unsettled& u = unsettled[o.item];
    u.code = o.code;
    u.message = o.message;
    ++u.failures;
    u.retry_at = now + backoff_wait(interval, u.failures);
  }
  return unsettled;
}

std::vector<Item> retries_due(const UnsettledItems& unsettled, SteadyTime now) {
  std::vector<Item> due;
  for (const auto& [item, u] : unsettled) {
    if (now >= u.retry_at) due.push_back(item);
  }
  return due;
}

std::pair<ExitCode, std::string> daemon_state(const UnsettledItems& unsettled, const std::vector<std::string>& owed) {
  ExitCode code = owed.empty() ? ExitCode::ok : ExitCode::failure;
  for (const auto& [item, u] : unsettled) code = worse(code, u.code);
  if (code == ExitCode::ok) return {code, "in sync"};
  std::string why;
  for (const auto& [item, u] : unsettled) {
    if (u.code == code) why += (why.empty() ? "" : "; ") + std::string(item_name(item)) + ": " + u.message;
  }
  if (code == ExitCode::failure) {
    for (const auto& o : owed) why += (why.empty() ? "" : "; ") + o;
  }
  return {code, why};
}

// A debounce that ended wins over the deadline and is never a full check: a full check
// that was due then is still due at the next deadline (last_full has not moved).
Wake wake(SteadyTime now, SteadyTime deadline, std::optional<SteadyTime> debounce, SteadyTime last_full,
          Millis interval) {
  if (debounce && now >= *debounce) return Wake::check;
  if (now >= deadline) return full_check_due(now, last_full, interval) ? Wake::full_check : Wake::check;
  return Wake::wait;
}

SteadyTime debounce_until(std::optional<SteadyTime> pending, SteadyTime seen) {
  return pending ? *pending : seen + kDebounce;
}

// The watchdog must be fed and the session kept alive even when the next check is far off;
// poll() gets at least 1 ms so a deadline a fraction of a millisecond away is not a busy loop.
Millis poll_timeout(SteadyTime now, SteadyTime deadline, std::optional<SteadyTime> debounce, Millis watchdog,
                    bool connected) {
  const auto until = debounce ? std::min(*debounce, deadline) : deadline;
  Millis timeout = std::chrono::duration_cast<Millis>(until - now);
  if (watchdog.count() > 0) timeout = std::min(timeout, watchdog);
  if (connected) timeout = std::min(timeout, kKeepaliveEvery);
  return std::max(timeout, Millis(1));
}

bool keepalive_due(SteadyTime now, SteadyTime last_used) { return now - last_used >= kKeepaliveEvery; }

// A fast interval must not mean a status write per cycle; a change of state is told at once.
bool status_due(SteadyTime now, SteadyTime last_written, const std::string& state, const std::string& written_state) {
  return state != written_state || now - last_written >= kStatusEvery;
}

}  // namespace gs
