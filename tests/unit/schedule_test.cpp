#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/daemon/schedule.hpp"

namespace gs {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// An arbitrary point on the monotonic clock; every test time is relative to it.
const SteadyTime t0 = SteadyTime{} + hours(1000);

FileInfo file(uint64_t size, int64_t mtime, uint64_t inode = 7) {
  FileInfo f;
  f.exists = true;
  f.type = FileType::regular;
  f.size = size;
  f.mtime = mtime;
  f.inode = inode;
  return f;
}

const FileInfo missing{};

TEST(Schedule, BackoffDoublesPerFailureUpToTheShorterOfSixteenIntervalsAndFiveMinutes) {
  struct Case {
    Millis interval;
    int failures;
    Millis wait;
  };
  const Case cases[] = {
      {seconds(15), 0, seconds(15)},  // no failure: the interval
      {seconds(15), 1, seconds(15)},  // the first failure retries at the interval
      {seconds(15), 2, seconds(30)},
      {seconds(15), 3, seconds(60)},
      {seconds(15), 5, seconds(240)},
      {seconds(15), 6, seconds(240)},  // 480 s capped at 16 intervals, shorter than 5 min
      {seconds(15), 1000, seconds(240)},
      {seconds(30), 4, seconds(240)},
      {seconds(30), 5, seconds(300)},  // 480 s capped at 5 min, shorter than 16 intervals
      {seconds(1), 5, seconds(16)},
      {seconds(1), 6, seconds(16)},
      {minutes(10), 3, minutes(10)},            // the cap is never below the interval
      {milliseconds(1), 40, milliseconds(16)},  // the shift stops at 16: no overflow
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.interval.count() << " ms, " << c.failures << " failures");
    EXPECT_EQ(backoff_wait(c.interval, c.failures), c.wait);
  }
}

TEST(Schedule, NextCheckIsInWholeSecondsRoundedDown) {
  EXPECT_EQ(next_check_at(1'700'000'000, seconds(15)), 1'700'000'015);
  EXPECT_EQ(next_check_at(1'700'000'000, milliseconds(1'999)), 1'700'000'001);
  EXPECT_EQ(next_check_at(1'700'000'000, milliseconds(999)), 1'700'000'000);
}

TEST(Schedule, FullCheckEveryFiveMinutesOrTwentyIntervalsWhicheverIsLonger) {
  struct Case {
    Millis interval;
    nanoseconds since_full;
    bool due;
  };
  const Case cases[] = {
      {seconds(15), seconds(299), false}, {seconds(15), seconds(300) - nanoseconds(1), false},
      {seconds(15), seconds(300), true},  // exactly at the boundary
      {seconds(15), seconds(301), true},  {milliseconds(1), seconds(300), true},
      {seconds(30), seconds(599), false},  // 20 intervals = 10 min > 5 min
      {seconds(30), seconds(600), true},  {minutes(1), minutes(19), false},
      {minutes(1), minutes(20), true},    {seconds(15), nanoseconds(0), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.interval.count() << " ms interval, " << c.since_full.count() << " ns");
    EXPECT_EQ(full_check_due(t0 + c.since_full, t0, c.interval), c.due);
  }
}

TEST(Schedule, SameFileComparesExistenceSizeMtimeAndInodeOnly) {
  FileInfo chmod = file(10, 100);
  chmod.mode = 0600;
  chmod.uid = 1000;
  struct Case {
    const char* name;
    FileInfo a, b;
    bool same;
  };
  const Case cases[] = {
      {"identical", file(10, 100), file(10, 100), true},
      {"both missing", missing, missing, true},
      {"size", file(10, 100), file(11, 100), false},
      {"mtime", file(10, 100), file(10, 101), false},
      {"inode, same size and mtime", file(10, 100, 7), file(10, 100, 8), false},
      {"appeared", missing, file(0, 0, 0), false},
      {"owner and mode are not compared", file(10, 100), chmod, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(same_file(c.a, c.b), c.same);
    EXPECT_EQ(same_file(c.b, c.a), c.same);
  }
}

TEST(Schedule, OnlyItemsWhoseStatsMovedAreDigested) {
  const Item g = Item::gravity;
  struct Case {
    const char* name;
    std::optional<std::pair<FileInfo, FileInfo>> before;  // nullopt: no baseline
    Stats local, remote;
    bool full;
    bool digested;
  };
  const Case cases[] = {
      {"unchanged", {{file(10, 100), file(20, 200)}}, {{g, file(10, 100)}}, {{g, file(20, 200)}}, false, false},
      {"unchanged, but a full check",
       {{file(10, 100), file(20, 200)}},
       {{g, file(10, 100)}},
       {{g, file(20, 200)}},
       true,
       true},
      {"no baseline", std::nullopt, {{g, file(10, 100)}}, {{g, file(20, 200)}}, false, true},
      {"local size", {{file(10, 100), file(20, 200)}}, {{g, file(11, 100)}}, {{g, file(20, 200)}}, false, true},
      {"local mtime", {{file(10, 100), file(20, 200)}}, {{g, file(10, 101)}}, {{g, file(20, 200)}}, false, true},
      {"local inode, same size and mtime",
       {{file(10, 100, 7), file(20, 200)}},
       {{g, file(10, 100, 9)}},
       {{g, file(20, 200)}},
       false,
       true},
      {"remote mtime", {{file(10, 100), file(20, 200)}}, {{g, file(10, 100)}}, {{g, file(20, 201)}}, false, true},
      {"missing file appearing", {{missing, file(20, 200)}}, {{g, file(10, 100)}}, {{g, file(20, 200)}}, false, true},
      {"file disappearing", {{file(10, 100), file(20, 200)}}, {{g, missing}}, {{g, file(20, 200)}}, false, true},
      {"still missing", {{missing, file(20, 200)}}, {{g, missing}}, {{g, file(20, 200)}}, false, false},
      {"absent from the stats is missing", {{missing, file(20, 200)}}, {}, {{g, file(20, 200)}}, false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Baseline baseline;
    if (c.before) baseline[g] = *c.before;
    const auto items = items_to_digest({g}, baseline, c.local, c.remote, c.full);
    EXPECT_EQ(items, c.digested ? std::vector<Item>{g} : std::vector<Item>{});
  }
}

// The watch between checks: a peer's item with a baseline whose remote stat moved starts
// a check, and so does one without a baseline (rewritten or racy) unless it waits for its
// retry as an unsettled item.
TEST(Schedule, TheWatchSeesAMovedRemoteStatOrAnItemThatNeedsADigest) {
  Baseline baseline;
  baseline[Item::gravity] = {file(100, 50), file(200, 60, 0)};
  baseline[Item::cname] = {file(10, 50), file(20, 60, 0)};
  const struct {
    const char* name;
    Stats remote;
    std::vector<Item> unsettled;
    bool moved;
  } cases[] = {
      {"nothing moved", {{Item::gravity, file(200, 60, 0)}, {Item::cname, file(20, 60, 0)}}, {}, false},
      {"gravity's mtime", {{Item::gravity, file(200, 61, 0)}, {Item::cname, file(20, 60, 0)}}, {}, true},
      {"cname's size", {{Item::gravity, file(200, 60, 0)}, {Item::cname, file(21, 60, 0)}}, {}, true},
      {"cname gone", {{Item::gravity, file(200, 60, 0)}, {Item::cname, FileInfo{}}}, {}, true},
      {"an item without a baseline", {{Item::gravity, file(200, 60, 0)}, {Item::custom_dns, file(5, 99, 0)}}, {}, true},
      {"an unsettled item without a baseline",
       {{Item::gravity, file(200, 60, 0)}, {Item::custom_dns, file(5, 99, 0)}}, {Item::custom_dns}, false},
      {"only items with a baseline, unmoved", {{Item::gravity, file(200, 60, 0)}}, {}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(peer_moved(baseline, c.remote, c.unsettled), c.moved);
  }
  EXPECT_TRUE(peer_moved(Baseline{}, {{Item::gravity, file(1, 1, 0)}}, {}));
  EXPECT_FALSE(peer_moved(Baseline{}, {{Item::gravity, file(1, 1, 0)}}, {Item::gravity}));
}

TEST(Schedule, ItemsToDigestKeepTheConfiguredOrderAndOnlyConfiguredItems) {
  const Stats local = {{Item::gravity, file(1, 1)}, {Item::cname, file(2, 2)}, {Item::custom_dns, file(3, 3)}};
  const Stats remote = local;
  const Baseline baseline = {{Item::cname, {file(2, 2), file(2, 2)}}};
  EXPECT_EQ(items_to_digest({Item::custom_dns, Item::cname, Item::gravity}, baseline, local, remote, false),
            (std::vector<Item>{Item::custom_dns, Item::gravity}));
  EXPECT_EQ(items_to_digest({Item::cname}, baseline, local, remote, false), std::vector<Item>{});
  EXPECT_EQ(items_to_digest({}, baseline, local, remote, true), std::vector<Item>{});
}

TEST(Schedule, AnEntryWithAnMtimeWithinASecondOfTheStatIsRacy) {
  const int64_t now = 1'700'000'000;
  struct Case {
    const char* name;
    FileInfo local, remote;
    int64_t remote_offset;  // the remote's clock minus ours
    bool racy;
  };
  const Case cases[] = {
      {"both old", file(1, now - 2), file(1, now - 2), 0, false},
      {"local one second before the stat", file(1, now - 1), file(1, now - 2), 0, true},
      {"local in the second of the stat", file(1, now), file(1, now - 2), 0, true},
      {"local in the future", file(1, now + 60), file(1, now - 2), 0, true},
      {"local missing", missing, file(1, now - 2), 0, false},
      {"remote one second before the stat", file(1, now - 2), file(1, now - 1), 0, true},
      {"remote missing", file(1, now - 2), missing, 0, false},
      // A remote clock 10 s ahead: its "now" is now + 10.
      {"remote ahead, within its second", file(1, now - 2), file(1, now + 9), 10, true},
      {"remote ahead, two of its seconds old", file(1, now - 2), file(1, now + 8), 10, false},
      {"remote ahead, racy by our clock only", file(1, now - 2), file(1, now), 10, false},
      // A remote clock 10 s behind: its "now" is now - 10.
      {"remote behind, within its second", file(1, now - 2), file(1, now - 11), -10, true},
      {"remote behind, two of its seconds old", file(1, now - 2), file(1, now - 12), -10, false},
      // The offset is the remote's: it never shifts the local side.
      {"local racy whatever the offset", file(1, now - 1), file(1, now - 100), 10, true},
      {"local old whatever the offset", file(1, now - 2), file(1, now - 100), -10, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(racy(c.local, c.remote, now, c.remote_offset), c.racy);
  }
}

TEST(Schedule, AnItemLeftUnsettledIsRetriedWithItsOwnBackoffUntilItSyncs) {
  const Millis interval = seconds(15);
  struct Step {
    const char* what;
    SteadyTime now;
    std::vector<ItemOutcome> outcomes;
    // After the step: each unsettled item's failures and retry time.
    std::map<Item, std::pair<int, SteadyTime>> unsettled;
  };
  const std::vector<Step> steps = {
      {"cname refused: due an interval later", t0, {{Item::cname, ExitCode::refused, "loop"}, {Item::gravity, ExitCode::ok, ""}},
       {{Item::cname, {1, t0 + seconds(15)}}}},
      {"refused again: twice as long", t0 + seconds(15), {{Item::cname, ExitCode::refused, "loop"}},
       {{Item::cname, {2, t0 + seconds(45)}}}},
      {"a run without it keeps its retry", t0 + seconds(20), {{Item::gravity, ExitCode::ok, ""}},
       {{Item::cname, {2, t0 + seconds(45)}}}},
      {"another item fails on its own count", t0 + seconds(45),
       {{Item::cname, ExitCode::refused, "loop"}, {Item::custom_dns, ExitCode::failure, "reload"}},
       {{Item::cname, {3, t0 + seconds(105)}}, {Item::custom_dns, {1, t0 + seconds(60)}}}},
      {"synced: settled", t0 + seconds(105), {{Item::cname, ExitCode::ok, ""}}, {{Item::custom_dns, {1, t0 + seconds(60)}}}},
  };
  UnsettledItems unsettled;
  for (const auto& s : steps) {
    SCOPED_TRACE(s.what);
    unsettled = next_unsettled(std::move(unsettled), s.outcomes, s.now, interval);
    ASSERT_EQ(unsettled.size(), s.unsettled.size());
    for (const auto& [item, expected] : s.unsettled) {
      ASSERT_TRUE(unsettled.count(item)) << item_name(item);
      EXPECT_EQ(unsettled.at(item).failures, expected.first) << item_name(item);
      EXPECT_TRUE(unsettled.at(item).retry_at == expected.second) << item_name(item);
    }
  }
  // Due exactly from the retry time.
  EXPECT_TRUE(retries_due(unsettled, t0 + seconds(59)).empty());
  EXPECT_EQ(retries_due(unsettled, t0 + seconds(60)), std::vector<Item>{Item::custom_dns});
}

TEST(Schedule, TheDaemonsStateIsTheWorstUnsettledItemNeverInSyncWhileOneIs) {
  auto with = [](std::vector<std::pair<Item, ExitCode>> items) {
    UnsettledItems u;
    for (const auto& [item, code] : items) u[item] = Unsettled{code, std::string(exit_code_reason(code)), 1, t0};
    return u;
  };
  struct Case {
    const char* what;
    UnsettledItems unsettled;
    std::vector<std::string> owed;
    ExitCode code;
    std::string message;
  };
  const Case cases[] = {
      {"nothing unsettled", {}, {}, ExitCode::ok, "in sync"},
      {"one refusal", with({{Item::cname, ExitCode::refused}}), {}, ExitCode::refused, "cname: refused"},
      {"a conflict under a refusal", with({{Item::gravity, ExitCode::conflict}, {Item::cname, ExitCode::refused}}), {},
       ExitCode::refused, "cname: refused"},
      {"two refusals", with({{Item::gravity, ExitCode::refused}, {Item::cname, ExitCode::refused}}), {},
       ExitCode::refused, "gravity: refused; cname: refused"},
      {"a conflict alone", with({{Item::gravity, ExitCode::conflict}}), {}, ExitCode::conflict, "gravity: conflict"},
      {"a pending reload", {}, {"the remote node's reload has been pending"}, ExitCode::failure,
       "the remote node's reload has been pending"},
      {"a failure and a pending reload over a refusal",
       with({{Item::custom_dns, ExitCode::failure}, {Item::cname, ExitCode::refused}}), {"pending"}, ExitCode::failure,
       "custom-dns: failure; pending"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto [code, message] = daemon_state(c.unsettled, c.owed);
    EXPECT_EQ(code, c.code);
    EXPECT_EQ(message, c.message);
  }
}

TEST(Schedule, NextBaselineRemembersWhatWasDigestedExceptRewrittenAndRacyItems) {
  const int64_t now = 1'700'000'000;
  const Baseline before = {
      {Item::gravity, {file(1, now - 500), file(1, now - 500)}},     // not digested: kept
      {Item::static_dhcp, {file(1, now - 500), file(1, now + 30)}},  // not digested, racy: forgotten
  };
  const Stats local = {
      {Item::custom_dns, file(2, now - 100)}, {Item::cname, file(3, now - 100)}, {Item::gravity, file(4, now)}};
  const Stats remote = {
      {Item::custom_dns, file(5, now - 100)}, {Item::cname, file(6, now - 100)}, {Item::gravity, file(7, now - 100)}};
  // custom-dns digested: remembered; cname rewritten by the run: forgotten.
  const Baseline after = next_baseline(before, {Item::custom_dns, Item::cname}, local, remote, {Item::cname}, now, 0);
  const Baseline expected = {
      {Item::gravity, {file(1, now - 500), file(1, now - 500)}},
      {Item::custom_dns, {file(2, now - 100), file(5, now - 100)}},
  };
  ASSERT_EQ(after.size(), expected.size());
  for (const auto& [item, stats] : expected) {
    SCOPED_TRACE(item_name(item));
    ASSERT_TRUE(after.count(item));
    EXPECT_TRUE(same_file(after.at(item).first, stats.first));
    EXPECT_TRUE(same_file(after.at(item).second, stats.second));
  }

  // A digested item whose stats are racy keeps no baseline.
  EXPECT_FALSE(next_baseline({}, {Item::gravity}, local, remote, {}, now, 0).count(Item::gravity));
  // A digested item missing on a node is remembered as missing.
  const Baseline gone = next_baseline({}, {Item::static_dhcp}, local, remote, {}, now, 0);
  ASSERT_TRUE(gone.count(Item::static_dhcp));
  EXPECT_FALSE(gone.at(Item::static_dhcp).first.exists);
  EXPECT_FALSE(gone.at(Item::static_dhcp).second.exists);
}

TEST(Schedule, TheWaitEndsAtTheDebounceOrTheDeadline) {
  const SteadyTime deadline = t0 + seconds(15);
  const SteadyTime recent_full = t0 - seconds(10);
  const SteadyTime old_full = t0 - minutes(5);  // a full check is due by the deadline
  struct Case {
    const char* name;
    SteadyTime now;
    std::optional<SteadyTime> debounce;
    SteadyTime last_full;
    Wake wake;
  };
  const Case cases[] = {
      {"before the deadline", t0, std::nullopt, recent_full, Wake::wait},
      {"a nanosecond before the deadline", deadline - nanoseconds(1), std::nullopt, recent_full, Wake::wait},
      {"at the deadline", deadline, std::nullopt, recent_full, Wake::check},
      {"past the deadline", deadline + seconds(1), std::nullopt, recent_full, Wake::check},
      {"at the deadline, a full check due", deadline, std::nullopt, old_full, Wake::full_check},
      {"a full check due, before the deadline", t0, std::nullopt, old_full, Wake::wait},
      {"debounce pending", t0 + milliseconds(100), t0 + milliseconds(250), recent_full, Wake::wait},
      {"debounce ends", t0 + milliseconds(250), t0 + milliseconds(250), recent_full, Wake::check},
      {"debounce ended, a full check due: not a full one", t0 + milliseconds(250), t0 + milliseconds(250), old_full,
       Wake::check},
      {"debounce and deadline both passed, a full check due: the debounce wins", deadline + seconds(1), deadline,
       old_full, Wake::check},
      {"debounce pending at the deadline: the deadline decides", deadline, deadline + milliseconds(100), old_full,
       Wake::full_check},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(wake(c.now, deadline, c.debounce, c.last_full, seconds(15)), c.wake);
  }
}

TEST(Schedule, ABurstOfLocalChangesIsOneCheckAQuarterSecondAfterTheFirst) {
  EXPECT_EQ(debounce_until(std::nullopt, t0), t0 + milliseconds(250));
  EXPECT_EQ(debounce_until(t0 + milliseconds(250), t0 + milliseconds(200)), t0 + milliseconds(250));
  EXPECT_EQ(debounce_until(t0 + milliseconds(250), t0 + seconds(10)), t0 + milliseconds(250));
}

TEST(Schedule, PollSleepsUntilTheFirstOfDebounceDeadlineWatchdogAndKeepalive) {
  struct Case {
    const char* name;
    nanoseconds to_deadline;
    std::optional<nanoseconds> to_debounce;
    Millis watchdog;
    bool connected;
    Millis timeout;
  };
  const Case cases[] = {
      {"the deadline", seconds(15), std::nullopt, Millis(0), false, seconds(15)},
      {"a debounce before the deadline", seconds(15), milliseconds(250), Millis(0), false, milliseconds(250)},
      {"a debounce after the deadline", milliseconds(100), milliseconds(250), Millis(0), false, milliseconds(100)},
      {"a watchdog shorter than the interval", seconds(15), std::nullopt, seconds(5), false, seconds(5)},
      {"a watchdog longer than the interval", seconds(15), std::nullopt, minutes(5), false, seconds(15)},
      {"connected: the keepalive", minutes(5), std::nullopt, Millis(0), true, seconds(30)},
      {"connected, the deadline first", seconds(15), std::nullopt, Millis(0), true, seconds(15)},
      {"connected, a watchdog longer than the keepalive", minutes(5), std::nullopt, minutes(1), true, seconds(30)},
      {"connected, a watchdog shorter than the keepalive", minutes(5), std::nullopt, seconds(10), true, seconds(10)},
      {"whole milliseconds, rounded down", microseconds(1'900), std::nullopt, Millis(0), false, milliseconds(1)},
      {"never below 1 ms", microseconds(500), std::nullopt, Millis(0), false, milliseconds(1)},
      {"never below 1 ms, debounce", seconds(15), nanoseconds(1), Millis(0), true, milliseconds(1)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::optional<SteadyTime> debounce;
    if (c.to_debounce) debounce = t0 + *c.to_debounce;
    EXPECT_EQ(poll_timeout(t0, t0 + c.to_deadline, debounce, c.watchdog, c.connected), c.timeout);
  }
}

TEST(Schedule, AKeepaliveIsDueThirtySecondsAfterTheSessionWasLastUsed) {
  struct Case {
    nanoseconds since_used;
    bool due;
  };
  const Case cases[] = {
      {seconds(0), false},
      {seconds(30) - nanoseconds(1), false},
      {seconds(30), true},
      {minutes(10), true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.since_used.count() << " ns");
    EXPECT_EQ(keepalive_due(t0 + c.since_used, t0), c.due);
  }
}

TEST(Schedule, StatusIsWrittenOnAChangeOfStateOrEveryFiveSeconds) {
  struct Case {
    const char* name;
    nanoseconds since_written;
    std::string state, written;
    bool due;
  };
  const Case cases[] = {
      {"first write", seconds(0), "", "(none)", true},
      {"state changed just now", seconds(0), "8 gravity: refused", "", true},
      {"same state, 4.999 s", milliseconds(4'999), "", "", false},
      {"same state, 5 s", seconds(5), "", "", true},
      {"same state, an hour", hours(1), "3", "3", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(status_due(t0 + c.since_written, t0, c.state, c.written), c.due);
  }
}

}  // namespace
}  // namespace gs
