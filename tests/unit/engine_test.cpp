// The sync engine (run_sync) against two recording fake nodes: which node is locked,
// what moves which way, which reload each node gets, and what each refusal leaves behind.
// No sshd and no Pi-hole: each case runs in milliseconds.

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "fake_node.hpp"
#include "gravity_sync/sync/engine.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

using test::FakeItem;
using test::FakeNode;
using Calls = std::vector<std::string>;

// An item holding `digest`; "" is a missing item.
FakeItem holding(const std::string& digest) {
  FakeItem f;
  f.exists = !digest.empty();
  f.digest = digest;
  return f;
}

// Two fake nodes, a config and a state directory, for one or more runs.
struct Rig {
  explicit Rig(int local_major = 5, int remote_major = 5)
      : local("local", local_major), remote("remote", remote_major) {}

  // `item` holds `here` on the local node and `there` on the remote ("" = missing).
  void give(Item item, const std::string& here, const std::string& there) {
    local.set_item(item, holding(here));
    remote.set_item(item, holding(there));
  }
  // Both nodes hold `item` as `digest`, and the history says they were synced so.
  void in_sync(Item item, const std::string& digest) {
    give(item, digest, digest);
    remember(item, digest, digest);
  }
  // The history of `item` after the last sync: `here` and `there`.
  void remember(Item item, const std::string& here, const std::string& there) {
    StateStore state = store();
    ASSERT_TRUE(state.load());
    state.set_history(item, {here, there});
    ASSERT_TRUE(state.save());
  }
  std::optional<History> history(Item item) {
    StateStore state = store();
    EXPECT_TRUE(state.load());
    return state.history(item);
  }

  RunReport run(Command command, std::vector<Item> items, bool dry_run = false, bool force = false) {
    RunOptions options;
    options.command = command;
    options.items = std::move(items);
    options.dry_run = dry_run;
    options.force = force;
    options.lock_wait = Millis(0);
    options.ftl_wait = Millis(0);  // an FTL that is not ready is not waited for
    StateStore state = store();
    return run_sync(config, local, remote, state, options);
  }

  StateStore store() { return StateStore(dir.path() + "/state", "pi.example:22"); }

  test::TempDir dir;
  Config config;
  FakeNode local;
  FakeNode remote;
};

const ItemReport& report_of(const RunReport& report, Item item) {
  for (const auto& r : report.items) {
    if (r.item == item) return r;
  }
  throw std::runtime_error(std::string("no report for ") + item_name(item));
}

// The calls of `node` that begin with `prefix` ("reload", "install").
Calls calls_of(const FakeNode& node, const std::string& prefix) {
  Calls out;
  for (const auto& c : node.calls()) {
    if (c.rfind(prefix, 0) == 0) out.push_back(c);
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// What the report says of an item: its message, or else the plan's reason.
std::string detail(const ItemReport& r) { return r.message.empty() ? r.plan.reason : r.message; }

// ---- locks: "a lock on the remote node while it changes files there" ----

TEST(Engine, InSyncTouchesNothingAndLocksOnlyThisNode) {
  Rig rig;
  for (Item item : {Item::gravity, Item::custom_dns, Item::cname}) rig.in_sync(item, "same");
  auto report = rig.run(Command::sync, {Item::gravity, Item::custom_dns, Item::cname});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_FALSE(report.changed);
  EXPECT_EQ(rig.local.actions(), (Calls{"lock", "clean_stale", "unlock"}));
  EXPECT_EQ(rig.remote.actions(), Calls{});  // no lock, no stage, no reload
}

TEST(Engine, CompareTakesNoLockAndChangesNothing) {
  Rig rig;
  rig.give(Item::gravity, "a", "b");
  rig.give(Item::custom_dns, "c", "");
  auto report = rig.run(Command::compare, {Item::gravity, Item::custom_dns});
  EXPECT_EQ(report.code, ExitCode::differs);
  EXPECT_EQ(rig.local.actions(), Calls{});
  EXPECT_EQ(rig.remote.actions(), Calls{});
  EXPECT_FALSE(rig.history(Item::gravity));
}

TEST(Engine, PullLocksOnlyThisNode) {
  Rig rig;
  rig.give(Item::gravity, "a", "b");
  rig.remember(Item::gravity, "a", "a");
  auto report = rig.run(Command::sync, {Item::gravity});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_EQ(report_of(report, Item::gravity).plan.action, Action::pull);
  EXPECT_EQ(rig.local.actions(), (Calls{"lock", "clean_stale", "check_space gravity receiving", "install gravity",
                                        "reload lists", "release_replaced", "unlock"}));
  EXPECT_EQ(rig.remote.actions(), (Calls{"check_space gravity sending", "stage gravity"}));
}

TEST(Engine, PushLocksTheRemoteWhileItChanges) {
  Rig rig;
  rig.give(Item::gravity, "b", "a");
  rig.remember(Item::gravity, "a", "a");
  auto report = rig.run(Command::sync, {Item::gravity});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_EQ(report_of(report, Item::gravity).plan.action, Action::push);
  EXPECT_EQ(rig.remote.actions(), (Calls{"lock", "clean_stale", "check_space gravity receiving", "install gravity",
                                         "reload lists", "release_replaced", "unlock"}));
  EXPECT_EQ(rig.local.actions(),
            (Calls{"lock", "clean_stale", "check_space gravity sending", "stage gravity", "unlock"}));
}

TEST(Engine, APullDoesNotWaitForABusyRemote) {
  Rig rig;
  rig.give(Item::custom_dns, "a", "b");
  rig.remember(Item::custom_dns, "a", "a");
  rig.remote.fail("lock", make_error(ExitCode::locked, "remote: another gravity-sync run holds the lock"));
  auto report = rig.run(Command::pull, {Item::custom_dns});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_EQ(rig.local.item(Item::custom_dns).digest, "b");
  EXPECT_EQ(calls_of(rig.remote, "lock"), Calls{});
}

TEST(Engine, DryRunReportsWhatItWouldDoAndChangesNothing) {
  struct Case {
    Command command;
    Action action;
  };
  for (const Case& c :
       {Case{Command::sync, Action::pull}, Case{Command::pull, Action::pull}, Case{Command::push, Action::push}}) {
    SCOPED_TRACE(command_name(c.command));
    Rig rig;
    rig.give(Item::gravity, "a", "b");
    rig.remember(Item::gravity, "a", "x");
    auto report = rig.run(c.command, {Item::gravity}, /*dry_run=*/true);
    EXPECT_EQ(report.code, ExitCode::ok);
    EXPECT_FALSE(report.changed);
    EXPECT_EQ(report_of(report, Item::gravity).plan.action, c.action);
    EXPECT_EQ(result_name(report_of(report, Item::gravity)), "skipped");
    EXPECT_EQ(rig.local.actions(), (Calls{"lock", "clean_stale", "unlock"}));
    EXPECT_EQ(rig.remote.actions(), Calls{});
    EXPECT_EQ(rig.local.item(Item::gravity).digest, "a");
    EXPECT_EQ(rig.remote.item(Item::gravity).digest, "b");
    EXPECT_EQ(rig.history(Item::gravity)->remote, "x");
  }
}

// ---- direction ----

TEST(Engine, EachItemMovesTheWayThePlanSays) {
  struct Case {
    const char* name;
    Command command;
    std::string here, there;         // "" = missing
    std::optional<History> history;  // after the last sync
    Action action;
  };
  const History was_a{"a", "a"};
  const Case cases[] = {
      {"only the remote changed: sync pulls", Command::sync, "a", "b", was_a, Action::pull},
      {"only the local changed: sync pushes", Command::sync, "b", "a", was_a, Action::push},
      {"missing here: created from the remote", Command::sync, "", "a", std::nullopt, Action::pull},
      {"missing there: created from here", Command::sync, "a", "", std::nullopt, Action::push},
      {"both changed, policy remote: pull", Command::sync, "b", "c", was_a, Action::pull},
      {"pull, whatever the history", Command::pull, "b", "a", was_a, Action::pull},
      {"push, whatever the history", Command::push, "a", "b", was_a, Action::push},
      {"a deletion is never pulled", Command::pull, "a", "", was_a, Action::none},
      {"a deletion is never pushed", Command::push, "", "a", was_a, Action::none},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Rig rig;
    rig.give(Item::custom_dns, c.here, c.there);
    if (c.history) rig.remember(Item::custom_dns, c.history->local, c.history->remote);
    auto report = rig.run(c.command, {Item::custom_dns});
    const ItemReport& r = report_of(report, Item::custom_dns);
    EXPECT_EQ(report.code, ExitCode::ok);
    EXPECT_EQ(r.plan.action, c.action);
    EXPECT_EQ(result_name(r), "ok");
    FakeNode& sender = c.action == Action::pull ? rig.remote : rig.local;
    FakeNode& receiver = c.action == Action::pull ? rig.local : rig.remote;
    if (c.action == Action::none) {
      EXPECT_EQ(calls_of(rig.local, "install"), Calls{});
      EXPECT_EQ(calls_of(rig.remote, "install"), Calls{});
      continue;
    }
    EXPECT_EQ(calls_of(receiver, "install"), Calls{"install custom-dns"});
    EXPECT_EQ(calls_of(sender, "install"), Calls{});
    EXPECT_EQ(receiver.item(Item::custom_dns).digest, sender.item(Item::custom_dns).digest);
    EXPECT_GT(r.bytes, 0u);
    EXPECT_EQ(r.backup.has_value(), (c.action == Action::pull ? !c.here.empty() : !c.there.empty()));
    auto h = rig.history(Item::custom_dns);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->local, sender.item(Item::custom_dns).digest);
    EXPECT_EQ(h->remote, sender.item(Item::custom_dns).digest);
  }
}

TEST(Engine, DirectionIsDecidedPerItem) {
  Rig rig;
  rig.give(Item::gravity, "g1", "g2");  // the remote changed
  rig.remember(Item::gravity, "g1", "g1");
  rig.give(Item::custom_dns, "d2", "d1");  // this node changed
  rig.remember(Item::custom_dns, "d1", "d1");
  rig.in_sync(Item::cname, "c");
  auto report = rig.run(Command::sync, {Item::gravity, Item::custom_dns, Item::cname});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_EQ(calls_of(rig.local, "install"), Calls{"install gravity"});
  EXPECT_EQ(calls_of(rig.remote, "install"), Calls{"install custom-dns"});
  EXPECT_EQ(rig.local.item(Item::gravity).digest, "g2");
  EXPECT_EQ(rig.remote.item(Item::custom_dns).digest, "d2");
}

// Several peers at once (sync/peer_runs): a run with pushes only moves what goes to the
// peer, leaves what would come here, and a second run alone brings it; merge_runs then
// reports both runs' moves.
TEST(Engine, PushesOnlyLeavesWhatWouldComeHereForARunAlone) {
  Rig rig;
  rig.give(Item::gravity, "g1", "g2");  // the remote changed: would come here
  rig.remember(Item::gravity, "g1", "g1");
  rig.give(Item::custom_dns, "d2", "d1");  // this node changed: goes there
  rig.remember(Item::custom_dns, "d1", "d1");
  RunOptions options;
  options.command = Command::sync;
  options.items = {Item::gravity, Item::custom_dns};
  options.lock_wait = Millis(0);
  options.ftl_wait = Millis(0);
  options.local_lock_held = true;
  options.pushes_only = true;
  StateStore state = rig.store();
  const RunReport first = run_sync(rig.config, rig.local, rig.remote, state, options);
  EXPECT_TRUE(first.deferred);
  EXPECT_EQ(first.code, ExitCode::ok);
  EXPECT_TRUE(calls_of(rig.local, "install").empty()) << "pushes only, yet this node changed";
  EXPECT_TRUE(calls_of(rig.local, "lock").empty()) << "the caller holds this node's lock";
  EXPECT_EQ(calls_of(rig.remote, "install"), Calls{"install custom-dns"});
  EXPECT_EQ(report_of(first, Item::gravity).outcome, Outcome::skipped);
  EXPECT_EQ(rig.history(Item::gravity)->remote, "g1") << "a deferred item's history moved";

  const RunReport again = rig.run(Command::sync, {Item::gravity, Item::custom_dns});
  EXPECT_EQ(calls_of(rig.local, "install"), Calls{"install gravity"});
  const RunReport merged = merge_runs(first, again);
  EXPECT_EQ(report_of(merged, Item::gravity).plan.action, Action::pull);
  EXPECT_EQ(report_of(merged, Item::custom_dns).plan.action, Action::push) << "the first run's push was lost";
  EXPECT_TRUE(merged.changed);
}

// merge_runs keeps the first run's move only where the second found the item in sync
// without fault; a second run that stopped before its items keeps every first-run move.
TEST(Engine, MergedRunsNeverHideASecondRunsFailure) {
  ItemReport pushed;
  pushed.item = Item::gravity;
  pushed.plan.action = Action::push;
  pushed.outcome = Outcome::ok;
  struct Case {
    const char* what;
    std::optional<ItemReport> second;  // nullopt: the second run stopped before its items
    Action action;                     // what the merged report says of gravity
    ExitCode code;
  };
  ItemReport in_sync;
  in_sync.item = Item::gravity;
  in_sync.outcome = Outcome::ok;
  ItemReport refused = in_sync;
  refused.plan.refusal = ExitCode::refused;
  refused.outcome = Outcome::failed;
  refused.code = ExitCode::refused;
  const Case cases[] = {
      {"in sync after the first run's push", in_sync, Action::push, ExitCode::ok},
      {"refused by the second run", refused, Action::none, ExitCode::refused},
      {"the second run stopped early", std::nullopt, Action::push, ExitCode::ok},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    RunReport first;
    first.items = {pushed};
    first.changed = true;
    RunReport second;
    if (c.second) second.items = {*c.second};
    const RunReport merged = merge_runs(first, second);
    ASSERT_EQ(merged.items.size(), 1u);
    EXPECT_EQ(merged.items[0].plan.action, c.action);
    EXPECT_EQ(merged.items[0].code, c.code);
    EXPECT_TRUE(merged.changed);
  }
}

TEST(Engine, AFreshNodesEmptyItemNeverWipesRecordsAndItsGravityIsReadOnlyThen) {
  struct Case {
    const char* what;
    std::vector<Item> items;
    bool remote_fresh;
    size_t remote_records;
    ExitCode code;
    Calls remote_inspects;
  };
  const Case cases[] = {
      {"fresh, gravity not synced: read for it", {Item::custom_dns}, true, 0, ExitCode::refused,
       {"inspect custom-dns", "inspect gravity"}},
      {"fresh, gravity synced: already known", {Item::gravity, Item::custom_dns}, true, 0, ExitCode::refused,
       {"inspect gravity,custom-dns"}},
      {"configured node: an empty item is a change", {Item::custom_dns}, false, 0, ExitCode::ok,
       {"inspect custom-dns", "inspect gravity"}},
      {"records, not an empty item: freshness never asked", {Item::custom_dns}, true, 2, ExitCode::ok,
       {"inspect custom-dns"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Rig rig;
    FakeItem gravity = holding("g");
    rig.local.set_item(Item::gravity, gravity);
    gravity.fresh = c.remote_fresh;
    rig.remote.set_item(Item::gravity, gravity);
    rig.remember(Item::gravity, "g", "g");
    FakeItem here = holding("full");
    here.records = 3;
    FakeItem there = holding("changed");
    there.records = c.remote_records;
    rig.local.set_item(Item::custom_dns, here);
    rig.remote.set_item(Item::custom_dns, there);
    rig.remember(Item::custom_dns, "full", "full");  // the remote changed: a pull
    auto report = rig.run(Command::sync, c.items);
    EXPECT_EQ(report.code, c.code);
    EXPECT_EQ(calls_of(rig.remote, "inspect"), c.remote_inspects);
    EXPECT_EQ(rig.local.item(Item::custom_dns).digest, c.code == ExitCode::ok ? "changed" : "full");
    if (c.code == ExitCode::refused) {
      EXPECT_TRUE(calls_of(rig.local, "install").empty());
      EXPECT_TRUE(contains(report.items.back().plan.reason, "would wipe the 3 records of the local node"))
          << report.items.back().plan.reason;
    }
  }
}

TEST(Engine, AnUnresolvedConflictMovesNothing) {
  Rig rig;
  rig.config.sync.conflict = ConflictPolicy::skip;
  rig.give(Item::custom_dns, "b", "c");
  rig.remember(Item::custom_dns, "a", "a");
  auto report = rig.run(Command::sync, {Item::custom_dns});
  EXPECT_EQ(report.code, ExitCode::conflict);
  EXPECT_EQ(calls_of(rig.local, "install"), Calls{});
  EXPECT_EQ(calls_of(rig.remote, "install"), Calls{});
  EXPECT_EQ(calls_of(rig.remote, "lock"), Calls{});
  EXPECT_EQ(rig.history(Item::custom_dns)->local, "a");
}

// ---- reload policy: once per node, the lightest that applies every change there ----

TEST(Engine, TheReceiverIsReloadedOnceWithTheLightestReloadForAllItsChanges) {
  struct Case {
    int major;
    std::vector<Item> pulled;
    Calls reloads;  // on the receiving node
  };
  const Case cases[] = {
      {5, {Item::gravity}, {"reload lists"}},
      {5, {Item::custom_dns}, {"reload dns"}},
      {5, {Item::cname}, {"reload restart"}},
      {5, {Item::static_dhcp}, {"reload restart"}},
      {5, {Item::gravity, Item::custom_dns}, {"reload dns"}},
      {5, {Item::gravity, Item::custom_dns, Item::cname}, {"reload restart"}},
      {5, {Item::cname, Item::custom_dns}, {"reload restart"}},  // the heaviest, not the last
      {6, {Item::gravity}, {"reload lists"}},
      {6, {Item::custom_dns}, {}},  // FTL applies `pihole-FTL --config` itself
      {6, {Item::cname}, {}},
      {6, {Item::static_dhcp}, {}},
  };
  for (const Case& c : cases) {
    std::string name = "v" + std::to_string(c.major);
    for (Item item : c.pulled) name += std::string(" ") + item_name(item);
    SCOPED_TRACE(name);
    Rig rig(c.major, c.major);
    for (Item item : c.pulled) {
      rig.give(item, "old", "new");
      rig.remember(item, "old", "old");
    }
    auto report = rig.run(Command::sync, c.pulled);
    EXPECT_EQ(report.code, ExitCode::ok);
    EXPECT_EQ(calls_of(rig.local, "install").size(), c.pulled.size());
    EXPECT_EQ(calls_of(rig.local, "reload"), c.reloads);
    EXPECT_EQ(calls_of(rig.remote, "reload"), Calls{});  // the sender did not change
  }
}

TEST(Engine, EachNodeIsReloadedForWhatItReceived) {
  Rig rig;
  rig.give(Item::gravity, "g1", "g2");
  rig.remember(Item::gravity, "g1", "g1");
  rig.give(Item::custom_dns, "d2", "d1");
  rig.remember(Item::custom_dns, "d1", "d1");
  auto report = rig.run(Command::sync, {Item::gravity, Item::custom_dns});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_EQ(calls_of(rig.local, "reload"), Calls{"reload lists"});
  EXPECT_EQ(calls_of(rig.remote, "reload"), Calls{"reload dns"});
}

TEST(Engine, OnV6TheListReloadIsSentBeforeTheOtherItemsAreApplied) {
  // A reload signal that reaches FTL v6 while it restarts for a new CNAME value kills it,
  // so gravity's reload is sent as soon as gravity is in place. (Both on one node would
  // make its FtlPacer sleep kFtlSettle between the two changes: here the CNAME goes the
  // other way.)
  Rig rig(6, 6);
  rig.give(Item::gravity, "g1", "g2");
  rig.remember(Item::gravity, "g1", "g1");
  rig.give(Item::cname, "c2", "c1");
  rig.remember(Item::cname, "c1", "c1");
  auto report = rig.run(Command::sync, {Item::gravity, Item::cname});
  EXPECT_EQ(report.code, ExitCode::ok);
  EXPECT_EQ(rig.local.actions(),
            (Calls{"lock", "clean_stale", "check_space gravity receiving", "install gravity", "reload lists",
                   "release_replaced", "check_space cname sending", "stage cname records", "unlock"}));
  EXPECT_EQ(calls_of(rig.remote, "reload"), Calls{});
}

TEST(Engine, OnOneV6NodeTheListReloadGoesFirstAndTheCnameWaitsItsTurn) {
  // Gravity and a CNAME both reach the local v6 node. The list reload goes as soon as
  // gravity is in place, and the CNAME's set (which makes FTL restart itself) waits
  // kFtlSettle after that signal (FtlPacer) — on the node's clock, so this takes no time.
  Rig rig(6, 6);
  rig.give(Item::gravity, "g1", "g2");
  rig.remember(Item::gravity, "g1", "g1");
  rig.give(Item::cname, "c1", "c2");
  rig.remember(Item::cname, "c1", "c1");
  auto report = rig.run(Command::sync, {Item::gravity, Item::cname});
  EXPECT_EQ(report.code, ExitCode::ok);
  const Calls actions = rig.local.actions();
  const auto at = [&](const std::string& call) {
    return std::find(actions.begin(), actions.end(), call) - actions.begin();
  };
  ASSERT_LT(at("reload lists"), static_cast<long>(actions.size())) << ::testing::PrintToString(actions);
  ASSERT_LT(at("install cname"), static_cast<long>(actions.size())) << ::testing::PrintToString(actions);
  EXPECT_LT(at("install gravity"), at("reload lists"));
  EXPECT_LT(at("reload lists"), at("install cname"));
  EXPECT_GE(rig.local.fake_clock().slept(), kFtlSettle) << "the CNAME was set right after the reload signal";
}

// The v6 values a node receives are all installed (checked, backed up) before any is set,
// then set together (commit_values), so FTL restarts once. A value FTL does not take fails
// alone and keeps its history, so the next run moves it again the same way; one an
// FTLCONF_ variable sets there is skipped and the run succeeds.
TEST(Engine, V6ValuesAreSetTogetherAndOneFtlRefusesFailsAloneKeepingItsHistory) {
  Rig rig(6, 6);
  const Item upstreams = Item::setting(*find_ftl_key("dns.upstreams"));
  const Item dnssec = Item::setting(*find_ftl_key("dns.dnssec"));
  const Item ttl = Item::setting(*find_ftl_key("dns.blockTTL"));
  const std::vector<Item> items{Item::cname, upstreams, dnssec, ttl};
  for (Item item : items) {
    rig.give(item, "old", "new");
    rig.remember(item, "old", "old");
  }
  rig.local.fail("commit settings.dns.dnssec", Error{ExitCode::refused, "pihole-FTL refused the new dns.dnssec"});
  Error env{ExitCode::refused, "dns.blockTTL is read-only on this node: FTLCONF_dns_blockTTL"};
  env.kind = ErrorKind::set_by_env;
  rig.local.fail("commit settings.dns.blockTTL", env);
  auto report = rig.run(Command::sync, items);
  EXPECT_EQ(report.code, ExitCode::refused);
  EXPECT_EQ(report_of(report, Item::cname).outcome, Outcome::ok);
  EXPECT_EQ(report_of(report, upstreams).outcome, Outcome::ok);
  EXPECT_EQ(report_of(report, dnssec).outcome, Outcome::failed);
  EXPECT_EQ(report_of(report, dnssec).code, ExitCode::refused);
  EXPECT_EQ(report_of(report, ttl).outcome, Outcome::skipped);
  EXPECT_EQ(report_of(report, ttl).code, ExitCode::ok);
  EXPECT_TRUE(contains(report_of(report, ttl).message, "FTLCONF_dns_blockTTL"));
  // Every install before the first set.
  const Calls actions = rig.local.actions();
  long last_install = -1, first_commit = static_cast<long>(actions.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].rfind("install", 0) == 0) last_install = static_cast<long>(i);
    if (actions[i].rfind("commit", 0) == 0) first_commit = std::min(first_commit, static_cast<long>(i));
  }
  EXPECT_LT(last_install, first_commit) << ::testing::PrintToString(actions);
  EXPECT_EQ(calls_of(rig.local, "commit").size(), 4u);
  EXPECT_EQ(rig.local.item(upstreams).digest, "new");
  EXPECT_EQ(rig.local.item(dnssec).digest, "old");
  // The refused key's history is the last sync's: it is pulled again, never pushed back.
  EXPECT_EQ(rig.history(dnssec)->local, "old");
  EXPECT_EQ(rig.history(upstreams)->local, "new");
  rig.local.heal("commit settings.dns.dnssec");
  auto again = rig.run(Command::sync, {dnssec});
  EXPECT_EQ(report_of(again, dnssec).plan.action, Action::pull);
  EXPECT_EQ(report_of(again, dnssec).outcome, Outcome::ok);
}

// ---- tables mode: the adlists changed -> `pihole -g` on that node ----

TEST(Engine, TablesModeRebuildsGravityWhereTheAdlistsChanged) {
  struct Case {
    const char* name;
    GravityMode mode;
    bool exists_here;     // gravity.db on the receiving node
    bool adlists_change;  // what installing the tables there reports
    std::vector<Item> items;
    Calls local;  // what the receiving node saw
    bool rebuild;
  };
  const Case cases[] = {
      {"adlists changed: rebuilt, which reloads the lists",
       GravityMode::tables,
       true,
       true,
       {Item::gravity},
       {"lock", "clean_stale", "check_space gravity receiving", "install gravity tables", "rebuild_gravity",
        "release_replaced", "unlock"},
       true},
      {"adlists unchanged: a list reload",
       GravityMode::tables,
       true,
       false,
       {Item::gravity},
       {"lock", "clean_stale", "check_space gravity receiving", "install gravity tables", "reload lists",
        "release_replaced", "unlock"},
       false},
      {"no database here: the whole file",
       GravityMode::tables,
       false,
       true,
       {Item::gravity},
       {"lock", "clean_stale", "check_space gravity receiving", "install gravity", "reload lists", "unlock"},
       false},
      {"file mode never rebuilds",
       GravityMode::file,
       true,
       true,
       {Item::gravity},
       {"lock", "clean_stale", "check_space gravity receiving", "install gravity", "reload lists", "release_replaced",
        "unlock"},
       false},
      {"rebuilt, then the DNS reload custom-dns needs",
       GravityMode::tables,
       true,
       true,
       {Item::gravity, Item::custom_dns},
       {"lock", "clean_stale", "check_space gravity receiving", "install gravity tables",
        "check_space custom-dns receiving", "install custom-dns", "rebuild_gravity", "reload dns", "release_replaced",
        "unlock"},
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Rig rig;
    rig.config.sync.gravity_mode = c.mode;
    rig.local.set_adlists_change(c.adlists_change);
    for (Item item : c.items) {
      rig.give(item, "old", "new");
      rig.remember(item, "old", "old");
    }
    if (!c.exists_here) rig.local.set_item(Item::gravity, holding(""));
    auto report = rig.run(Command::sync, c.items);
    EXPECT_EQ(report.code, ExitCode::ok);
    EXPECT_EQ(rig.local.actions(), c.local);
    EXPECT_EQ(report_of(report, Item::gravity).rebuild, c.rebuild);
    EXPECT_EQ(calls_of(rig.remote, "stage gravity"),
              Calls{c.mode == GravityMode::tables && c.exists_here ? "stage gravity tables" : "stage gravity"});
  }
}

TEST(Engine, AFailedRebuildFailsGravityAndTheListsAreStillReloaded) {
  Rig rig;
  rig.config.sync.gravity_mode = GravityMode::tables;
  rig.local.set_adlists_change(true);
  rig.local.fail("rebuild_gravity", make_error(ExitCode::failure, "`pihole -g` failed (exit 1)"));
  rig.give(Item::gravity, "old", "new");
  rig.remember(Item::gravity, "old", "old");
  auto report = rig.run(Command::sync, {Item::gravity});
  EXPECT_EQ(report.code, ExitCode::failure);
  EXPECT_TRUE(contains(report_of(report, Item::gravity).message, "pihole -g"));
  EXPECT_EQ(calls_of(rig.local, "reload"), Calls{"reload lists"});
  EXPECT_EQ(rig.local.item(Item::gravity).digest, "new");  // the new configuration stays in place
}

// ---- refusals: the item is left as it was, the others go ahead ----

TEST(Engine, AFailedStepLeavesItsItemAsItWasAndTheOthersGoAhead) {
  struct Case {
    const char* name;
    Action direction;
    bool on_sender;    // the call that fails is the sender's (else the receiver's)
    std::string call;  // as the fake records it
    ExitCode code;
  };
  const Case cases[] = {
      {"no room to snapshot on the sender", Action::push, true, "check_space gravity sending", ExitCode::refused},
      {"no room on the receiver", Action::push, false, "check_space gravity receiving", ExitCode::refused},
      {"no room on the receiver (pull)", Action::pull, false, "check_space gravity receiving", ExitCode::refused},
      {"the snapshot fails", Action::push, true, "stage gravity", ExitCode::failure},
      {"the sender's item is refused", Action::pull, true, "stage gravity", ExitCode::refused},
      {"the receiver refuses the copy", Action::push, false, "install gravity", ExitCode::refused},
      {"the receiver refuses the copy (pull)", Action::pull, false, "install gravity", ExitCode::refused},
      {"the install fails", Action::push, false, "install gravity", ExitCode::failure},
      {"a remote error of another code counts as a failure", Action::push, false, "install gravity",
       ExitCode::unreachable},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Rig rig;
    const bool pull = c.direction == Action::pull;
    FakeNode& sender = pull ? rig.remote : rig.local;
    FakeNode& receiver = pull ? rig.local : rig.remote;
    for (Item item : {Item::gravity, Item::custom_dns}) {
      rig.give(item, pull ? "old" : "new", pull ? "new" : "old");
      rig.remember(item, "old", "old");
    }
    (c.on_sender ? sender : receiver).fail(c.call, make_error(c.code, "refused by the test"));
    auto report = rig.run(Command::sync, {Item::gravity, Item::custom_dns});

    const ExitCode want = c.code == ExitCode::refused ? ExitCode::refused : ExitCode::failure;
    const ItemReport& gravity = report_of(report, Item::gravity);
    EXPECT_EQ(report.code, want);
    EXPECT_EQ(gravity.code, want);
    EXPECT_EQ(result_name(gravity), exit_code_reason(want));
    EXPECT_TRUE(contains(gravity.message, "refused by the test"));
    EXPECT_EQ(receiver.item(Item::gravity).digest, "old");
    EXPECT_EQ(rig.history(Item::gravity)->local, "old");
    // custom-dns went ahead, and its reload is the only one.
    EXPECT_EQ(result_name(report_of(report, Item::custom_dns)), "ok");
    EXPECT_EQ(receiver.item(Item::custom_dns).digest, "new");
    EXPECT_EQ(calls_of(receiver, "reload"), Calls{"reload dns"});
    EXPECT_EQ(calls_of(sender, "reload"), Calls{});
  }
}

TEST(Engine, ABusyLockStopsTheRunBeforeAnyItem) {
  struct Case {
    const char* name;
    bool remote_busy;
  };
  for (const Case& c : {Case{"this node's lock is held", false}, Case{"the remote's lock is held", true}}) {
    SCOPED_TRACE(c.name);
    Rig rig;
    rig.give(Item::gravity, "new", "old");  // a push: the remote lock is needed
    rig.remember(Item::gravity, "old", "old");
    rig.give(Item::custom_dns, "old", "new");  // a pull
    rig.remember(Item::custom_dns, "old", "old");
    (c.remote_busy ? rig.remote : rig.local).fail("lock", make_error(ExitCode::locked, "held by pid 99"));
    auto report = rig.run(Command::sync, {Item::gravity, Item::custom_dns});
    EXPECT_EQ(report.code, ExitCode::locked);
    ASSERT_TRUE(report.error);
    EXPECT_TRUE(contains(report.error->message, "held by pid 99"));
    for (const auto& r : report.items) {
      EXPECT_EQ(result_name(r), "skipped");
    }
    for (const FakeNode* node : {&rig.local, &rig.remote}) {
      EXPECT_EQ(calls_of(*node, "stage"), Calls{});
      EXPECT_EQ(calls_of(*node, "install"), Calls{});
      EXPECT_EQ(calls_of(*node, "reload"), Calls{});
    }
    if (!c.remote_busy) {
      EXPECT_EQ(rig.remote.calls(), Calls{});  // not even looked at
    }
  }
}

TEST(Engine, AnUnreachableRemoteStopsTheRun) {
  Rig rig;
  rig.give(Item::gravity, "a", "b");
  rig.remote.fail("inspect gravity", make_error(ExitCode::unreachable, "cannot connect to pi.example:22"));
  auto report = rig.run(Command::sync, {Item::gravity});
  EXPECT_EQ(report.code, ExitCode::unreachable);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->message, "remote: cannot connect to pi.example:22");
  EXPECT_EQ(rig.local.actions(), (Calls{"lock", "clean_stale", "unlock"}));
}

TEST(Engine, APlannedRefusalMovesNothingAndLocksNoRemote) {
  struct Case {
    const char* name;
    FakeItem here, there;
    bool force;
    ExitCode code;
    const char* reason;
  };
  auto gravity = [](const std::string& digest, int schema, bool fresh) {
    FakeItem f = holding(digest);
    f.schema_version = schema;
    f.fresh = fresh;
    return f;
  };
  FakeItem unreadable = holding("x");
  unreadable.error = make_error(ExitCode::refused, "remote gravity.db: file is not a database");
  const Case cases[] = {
      {"schema versions differ", gravity("a", 19, false), gravity("b", 15, false), false, ExitCode::refused,
       "schema versions differ"},
      {"a fresh database never replaces configuration", gravity("a", 15, true), gravity("b", 15, false), false,
       ExitCode::refused, "fresh Pi-hole install"},
      {"an unreadable item", gravity("a", 15, false), unreadable, false, ExitCode::refused, "not a database"},
      {"--force lets a fresh database through", gravity("a", 15, true), gravity("b", 15, false), true, ExitCode::ok,
       "push"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Rig rig;
    rig.local.set_item(Item::gravity, c.here);
    rig.remote.set_item(Item::gravity, c.there);
    auto report = rig.run(Command::push, {Item::gravity}, false, c.force);
    EXPECT_EQ(report.code, c.code);
    EXPECT_TRUE(contains(detail(report_of(report, Item::gravity)), c.reason))
        << detail(report_of(report, Item::gravity));
    if (c.code != ExitCode::ok) {
      EXPECT_EQ(rig.remote.actions(), Calls{});
      EXPECT_EQ(rig.local.actions(), (Calls{"lock", "clean_stale", "unlock"}));
    } else {
      EXPECT_EQ(rig.remote.item(Item::gravity).digest, "a");
    }
  }
}

// ---- FTL must be able to take the reload ----

TEST(Engine, AReloadFtlCannotTakeFailsTheItemButTheNewFilesStay) {
  struct Case {
    const char* name;
    int major;
    FtlState ftl;
    bool reload_fails;
    Item item;
    Calls reloads;
    ExitCode code;
    const char* message;
  };
  const Case cases[] = {
      {"v5, FTL not running: no list reload sent",
       5,
       FtlState::not_running,
       false,
       Item::gravity,
       {},
       ExitCode::failure,
       "is not running"},
      {"v6, FTL not running: no list reload sent",
       6,
       FtlState::not_running,
       false,
       Item::gravity,
       {},
       ExitCode::failure,
       "is not running"},
      {"FTL still starting: no signal that would kill it",
       5,
       FtlState::starting,
       false,
       Item::custom_dns,
       {},
       ExitCode::failure,
       "did not finish starting"},
      {"the reload command fails",
       5,
       FtlState::ready,
       true,
       Item::gravity,
       {"reload lists"},
       ExitCode::failure,
       "reload failed"},
      {"v5 restartdns starts a stopped FTL",
       5,
       FtlState::not_running,
       false,
       Item::cname,
       {"reload restart"},
       ExitCode::ok,
       ""},
      {"v6 value: no reload needed, FTL down or not",
       6,
       FtlState::not_running,
       false,
       Item::custom_dns,
       {},
       ExitCode::ok,
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Rig rig(c.major, c.major);
    rig.give(c.item, "old", "new");
    rig.remember(c.item, "old", "old");
    rig.local.set_ftl(c.ftl);
    if (c.reload_fails) {
      rig.local.fail("reload lists", make_error(ExitCode::failure, "`pihole restartdns reload-lists` failed (exit 1)"));
    }
    auto report = rig.run(Command::sync, {c.item});
    const ItemReport& r = report_of(report, c.item);
    EXPECT_EQ(report.code, c.code);
    EXPECT_EQ(r.code, c.code);
    EXPECT_TRUE(contains(r.message, c.message)) << r.message;
    EXPECT_EQ(calls_of(rig.local, "reload"), c.reloads);
    EXPECT_EQ(rig.local.item(c.item).digest, "new");
  }
}

// ---- pending reloads and the pre-flight (CONTRACT.md: a reload that fails after a swap) ----

TEST(Engine, AFailedReloadIsPendingAndRetriedFirstUntilItSucceeds) {
  Rig rig;
  rig.give(Item::custom_dns, "old", "new");
  rig.remember(Item::custom_dns, "old", "old");
  rig.local.fail("reload dns", make_error(ExitCode::failure, "`pihole restartdns reload` failed (exit 127)"));
  auto first = rig.run(Command::sync, {Item::custom_dns});
  EXPECT_EQ(first.code, ExitCode::failure);
  EXPECT_EQ(rig.local.item(Item::custom_dns).digest, "new") << "swapped in; only the reload failed";
  ASSERT_TRUE(rig.store().load());
  auto owed = rig.store();
  ASSERT_TRUE(owed.load());
  ASSERT_TRUE(owed.pending_reload(Side::local));
  EXPECT_EQ(owed.pending_reload(Side::local)->level, Reload::dns);
  EXPECT_EQ(owed.pending_reload(Side::local)->items, std::vector<Item>{Item::custom_dns});
  EXPECT_FALSE(owed.pending_reload(Side::remote));

  // The item is in sync now, but the reload is owed: retried first, and the item stays failed.
  auto second = rig.run(Command::sync, {Item::custom_dns});
  EXPECT_EQ(second.code, ExitCode::failure);
  EXPECT_TRUE(contains(report_of(second, Item::custom_dns).message, "reload has been pending since"))
      << report_of(second, Item::custom_dns).message;
  EXPECT_EQ(calls_of(rig.local, "reload"), (Calls{"reload dns", "reload dns"}));
  // compare reports it and retries nothing; a run for other items still fails.
  auto compared = rig.run(Command::compare, {Item::custom_dns});
  EXPECT_EQ(compared.code, ExitCode::failure);
  EXPECT_EQ(report_of(compared, Item::custom_dns).outcome, Outcome::failed);
  rig.in_sync(Item::cname, "c");
  EXPECT_EQ(rig.run(Command::sync, {Item::cname}).code, ExitCode::failure);
  EXPECT_EQ(calls_of(rig.local, "reload").size(), 3u);

  // Once it runs, the retry clears it; nothing more is owed.
  rig.local.heal("reload dns");
  auto fixed = rig.run(Command::sync, {Item::custom_dns});
  EXPECT_EQ(fixed.code, ExitCode::ok) << report_of(fixed, Item::custom_dns).message;
  EXPECT_EQ(calls_of(rig.local, "reload").size(), 4u);
  EXPECT_EQ(rig.run(Command::sync, {Item::custom_dns}).code, ExitCode::ok);
  EXPECT_EQ(calls_of(rig.local, "reload").size(), 4u);
}

TEST(Engine, NothingIsSwappedInWhereTheReloadCouldNotRun) {
  struct Case {
    const char* what;
    Command command;
    bool dry_run;
    ExitCode code;
    Calls remote_installs;
  };
  const Case cases[] = {
      {"sync: refused before anything changes", Command::sync, false, ExitCode::refused, {}},
      {"push: the same", Command::push, false, ExitCode::refused, {}},
      {"dry run: nothing would change anyway", Command::sync, true, ExitCode::ok, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Rig rig;
    rig.give(Item::custom_dns, "new", "old");
    rig.remember(Item::custom_dns, "old", "old");
    rig.give(Item::cname, "c-old", "c-new");  // this one goes the other way: unaffected
    rig.remember(Item::cname, "c-old", "c-old");
    rig.remote.fail("can_reload", make_error(ExitCode::refused, "the remote node could not reload Pi-hole"));
    auto report = rig.run(c.command, {Item::custom_dns, Item::cname}, c.dry_run);
    EXPECT_EQ(report_of(report, Item::custom_dns).code, c.code);
    EXPECT_EQ(calls_of(rig.remote, "install"), c.remote_installs);
    EXPECT_EQ(rig.remote.item(Item::custom_dns).digest, "old");
    if (c.command == Command::sync && !c.dry_run) {
      EXPECT_EQ(rig.local.item(Item::cname).digest, "c-new") << "the other node's items still move";
      EXPECT_TRUE(contains(report_of(report, Item::custom_dns).message, "could not reload"));
    }
  }
}

}  // namespace
}  // namespace gs
