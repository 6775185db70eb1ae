#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gravity_sync/util/clock.hpp"
#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/util/duration.hpp"
#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/files.hpp"

// The daemon's decisions about time and stats, as pure functions: every time is an
// argument, nothing here reads a clock or a file (docs/DAEMON.md says what they add up to).

namespace gs {

// A local change is acted on this long after it is first seen.
inline constexpr Millis kDebounce{250};
// Every item is digested, whatever its stats, at least this often (or every 20 intervals).
inline constexpr Millis kFullCheckPeriod{300'000};
// Between checks, each connected peer's items are stat'ed this often (the watch: one SFTP
// round trip per item on the open session), so a change on a peer starts a check within
// about this long whatever `sync.interval` is.
inline constexpr Millis kPeerWatchEvery{1'000};
// An idle SSH session is kept alive this often.
inline constexpr Millis kKeepaliveEvery{30'000};
// The status (systemd STATUS=, daemon.json) is rewritten at most this often while the
// state does not change.
inline constexpr Millis kStatusEvery{5'000};

// Each node's stats of the items as stat_items() reports them.
using Stats = std::map<Item, FileInfo>;
// Per item, the (local, remote) stats seen before the last cycle that digested it without error.
using Baseline = std::map<Item, std::pair<FileInfo, FileInfo>>;

// The wait before the next check after `failures` failed cycles in a row: `interval`,
// doubled per failure, at most 16 intervals or 5 minutes, whichever is shorter (but never
// less than `interval`).
Millis backoff_wait(Millis interval, int failures);

// The wall-clock second of the check `wait` after `wall_now` (seconds, rounded down).
int64_t next_check_at(int64_t wall_now, Millis wait);

// Whether a check at `now` must be a full one: the last full check, at `last_full`, is at
// least kFullCheckPeriod or 20 `interval`s ago, whichever is longer.
bool full_check_due(SteadyTime now, SteadyTime last_full, Millis interval);

// Whether stats `a` and `b` describe the same file: existence, size, mtime and inode.
bool same_file(const FileInfo& a, const FileInfo& b);

// The items of `items` a cycle digests: every one when `full`, otherwise those with no
// baseline or whose `local` or `remote` stats differ from it (an item absent from a
// Stats map counts as missing).
std::vector<Item> items_to_digest(const std::vector<Item>& items, const Baseline& baseline, const Stats& local,
                                  const Stats& remote, bool full);

// Whether an item's stats taken at `stat_time` (this node's seconds since the epoch) may
// miss a later change: its mtime is within a second of the stat on either node, the
// remote's clock being `remote_offset` seconds ahead of this one's.
bool racy(const FileInfo& local, const FileInfo& remote, int64_t stat_time, int64_t remote_offset);

// Whether a peer's `remote` stats, taken by the watch, call for a check now: an item with
// a baseline whose remote stat differs from it, or an item with none that is not waiting
// for a retry in `unsettled` (one a run rewrote, or whose stat was racy: it needs a digest
// to have a baseline again, and a change made meanwhile must not wait for the interval).
bool peer_moved(const Baseline& baseline, const Stats& remote, const std::vector<Item>& unsettled);

// `baseline` after a cycle that digested `digested` from stats `local` and `remote`
// (taken at `stat_time`) and found no error: those stats are remembered, then the items
// the run rewrote (`rewritten`) and every racy entry are forgotten.
Baseline next_baseline(Baseline baseline, const std::vector<Item>& digested, const Stats& local, const Stats& remote,
                       const std::vector<Item>& rewritten, int64_t stat_time, int64_t remote_offset);

// An item that the last cycle to run it left unsettled: refused (5), failed (8), or a
// conflict left open (6). It holds the daemon's state until it has synced, and is digested
// again when its retry is due, with backoff, whether or not its stats moved.
struct Unsettled {
  ExitCode code = ExitCode::ok;
  std::string message;     // why, as the run reported it
  int failures = 0;        // cycles in a row that left it unsettled
  SteadyTime retry_at{};   // from when a cycle digests it again
};
using UnsettledItems = std::map<Item, Unsettled>;

// One item's outcome in a cycle: its exit code (ok when it synced or was in sync) and message.
struct ItemOutcome {
  Item item;
  ExitCode code;
  std::string message;
};

// `unsettled` after a cycle at `now` whose run reported `outcomes`: an item that ended ok
// is settled; any other is (still) unsettled, one failure more, due again
// backoff_wait(interval, failures) after `now`. Items the run did not report keep theirs.
UnsettledItems next_unsettled(UnsettledItems unsettled, const std::vector<ItemOutcome>& outcomes, SteadyTime now,
                              Millis interval);

// The items of `unsettled` whose retry is due at `now`, in Item order.
std::vector<Item> retries_due(const UnsettledItems& unsettled, SteadyTime now);

// The daemon's state from what is still unsettled and the reloads still owed (`owed`, each
// in words; a pending reload is a failure, exit 8): the worst code (8, then 5, then 6) and,
// joined by "; ", "ITEM: message" of each item with that code (then each owed reload, for 8).
// ExitCode::ok and "in sync" when nothing is unsettled or owed.
std::pair<ExitCode, std::string> daemon_state(const UnsettledItems& unsettled, const std::vector<std::string>& owed);

// What the wait between two checks does at a given moment.
enum class Wake { wait, check, full_check };

// The wait's decision at `now`, with the check due at `deadline` and a local change's
// debounce ending at `debounce` (if one is pending): a debounce that has ended wins and
// starts an ordinary check; then a deadline reached starts a check, a full one when
// full_check_due(now, last_full, interval).
Wake wake(SteadyTime now, SteadyTime deadline, std::optional<SteadyTime> debounce, SteadyTime last_full,
          Millis interval);

// The end of the debounce after a local change seen at `seen`: one already `pending` is
// kept, so a stream of writes cannot postpone the check.
SteadyTime debounce_until(std::optional<SteadyTime> pending, SteadyTime seen);

// How long one poll() may sleep at `now` (whole ms, at least 1): until the debounce or
// the deadline, whichever comes first, but no longer than `watchdog` (0: none) nor, while
// an SSH session is open (`connected`), kKeepaliveEvery.
Millis poll_timeout(SteadyTime now, SteadyTime deadline, std::optional<SteadyTime> debounce, Millis watchdog,
                    bool connected);

// Whether an open session, last used at `last_used`, needs a keepalive at `now`.
bool keepalive_due(SteadyTime now, SteadyTime last_used);

// Whether the status must be written at `now`: the state (`state`) is not the one last
// written (`written_state`), or kStatusEvery has passed since that write (`last_written`).
bool status_due(SteadyTime now, SteadyTime last_written, const std::string& state, const std::string& written_state);

}  // namespace gs
