#include <gtest/gtest.h>

#include "gravity_sync/sync/plan.hpp"

namespace gs {
namespace {

ItemState have(const std::string& sha, int64_t mtime = 100, int schema = 15, bool fresh = false) {
  ItemState s;
  s.exists = true;
  s.sha256 = sha;
  s.mtime = s.changed_at = mtime;
  s.size = 10;
  s.schema_version = schema;
  s.fresh = fresh;
  return s;
}

PlanInput input(ItemState local, ItemState remote, std::optional<History> history = std::nullopt,
                SyncMode mode = SyncMode::sync, ConflictPolicy policy = ConflictPolicy::remote) {
  PlanInput in;
  in.item = Item::custom_dns;
  in.local = std::move(local);
  in.remote = std::move(remote);
  in.history = std::move(history);
  in.mode = mode;
  in.policy = policy;
  return in;
}

TEST(Plan, EqualDigestsNeedNothingWhateverTheHistory) {
  EXPECT_EQ(plan_item(input(have("a"), have("a"))).action, Action::none);
  EXPECT_EQ(plan_item(input(have("a"), have("a"), History{"x", "y"})).action, Action::none);
}

TEST(Plan, OnlyRemoteChangedPulls) {
  auto p = plan_item(input(have("a"), have("b"), History{"a", "a"}));
  EXPECT_EQ(p.action, Action::pull);
  EXPECT_FALSE(p.conflict);
}

TEST(Plan, OnlyLocalChangedPushes) {
  auto p = plan_item(input(have("b"), have("a"), History{"a", "a"}));
  EXPECT_EQ(p.action, Action::push);
  EXPECT_FALSE(p.conflict);
}

TEST(Plan, BothChangedGoesToThePolicy) {
  History h{"a", "a"};
  EXPECT_EQ(plan_item(input(have("b"), have("c"), h, SyncMode::sync, ConflictPolicy::remote)).action, Action::pull);
  EXPECT_EQ(plan_item(input(have("b"), have("c"), h, SyncMode::sync, ConflictPolicy::local)).action, Action::push);
  auto skip = plan_item(input(have("b"), have("c"), h, SyncMode::sync, ConflictPolicy::skip));
  EXPECT_EQ(skip.action, Action::conflict);
  EXPECT_EQ(skip.refusal, ExitCode::conflict);
  EXPECT_TRUE(skip.conflict);
}

TEST(Plan, NoHistoryAndDifferentGoesToThePolicy) {
  // The bash original said "no replication required" here (#338).
  auto p = plan_item(input(have("a"), have("b")));
  EXPECT_EQ(p.action, Action::pull);
  EXPECT_TRUE(p.conflict);
}

TEST(Plan, NewerPolicyComparesTheTimesOfTheLastChange) {
  auto newer_local =
      plan_item(input(have("a", 200), have("b", 100), std::nullopt, SyncMode::sync, ConflictPolicy::newer));
  EXPECT_EQ(newer_local.action, Action::push);
  EXPECT_NE(newer_local.reason.find("the local copy is newer"), std::string::npos);
  auto newer_remote =
      plan_item(input(have("a", 100), have("b", 200), std::nullopt, SyncMode::sync, ConflictPolicy::newer));
  EXPECT_EQ(newer_remote.action, Action::pull);
}

TEST(Plan, NewerPolicyWithoutATimeOrWithTheSameSecondLeavesTheConflictOpen) {
  // A v6 value has no file of its own: without pihole.toml's time there is no newer side.
  ItemState unknown = have("a"), unknown_b = have("b");
  unknown.changed_at.reset();
  unknown_b.changed_at.reset();
  struct Case {
    ItemState local, remote;
    const char* why;
  };
  const Case cases[] = {
      {unknown, have("b", 200), "not known on the local node"},
      {have("a", 200), unknown_b, "not known on the remote node"},
      {unknown, unknown_b, "not known on either node"},
      {have("a", 150), have("b", 150), "same second"},
  };
  for (const auto& c : cases) {
    auto p = plan_item(input(c.local, c.remote, History{"x", "y"}, SyncMode::sync, ConflictPolicy::newer));
    EXPECT_EQ(p.action, Action::conflict) << c.why;
    EXPECT_EQ(p.refusal, ExitCode::conflict) << c.why;
    EXPECT_NE(p.reason.find(c.why), std::string::npos) << p.reason;
  }
}

TEST(Plan, MissingItemsAreCreatedNeverDeleted) {
  EXPECT_EQ(plan_item(input(ItemState{}, have("a"))).action, Action::pull);
  EXPECT_EQ(plan_item(input(have("a"), ItemState{})).action, Action::push);
  EXPECT_EQ(plan_item(input(ItemState{}, ItemState{})).action, Action::none);
  // Explicit directions still never delete.
  EXPECT_EQ(plan_item(input(have("a"), ItemState{}, std::nullopt, SyncMode::pull)).action, Action::none);
  EXPECT_EQ(plan_item(input(ItemState{}, have("a"), std::nullopt, SyncMode::push)).action, Action::none);
}

TEST(Plan, PullAndPushIgnoreTheHistory) {
  History h{"b", "a"};  // says: local changed
  EXPECT_EQ(plan_item(input(have("b"), have("a"), h, SyncMode::pull)).action, Action::pull);
  EXPECT_EQ(plan_item(input(have("a"), have("b"), History{"a", "a"}, SyncMode::push)).action, Action::push);
  EXPECT_EQ(plan_item(input(have("a"), have("a"), h, SyncMode::push)).action, Action::none);
}

TEST(Plan, FreshGravityNeverReplacesConfiguration) {
  PlanInput in = input(have("a", 100, 15, false), have("b", 100, 15, true));
  in.item = Item::gravity;
  auto p = plan_item(in);
  EXPECT_EQ(p.action, Action::pull);
  EXPECT_EQ(p.refusal, ExitCode::refused);
  in.force = true;
  EXPECT_EQ(plan_item(in).refusal, ExitCode::ok);
  // A fresh receiver may be overwritten: that is how a new node is set up.
  PlanInput onto_fresh = input(have("a", 100, 15, true), have("b", 100, 15, false));
  onto_fresh.item = Item::gravity;
  EXPECT_EQ(plan_item(onto_fresh).refusal, ExitCode::ok);
}

TEST(Plan, AFreshNodesEmptyItemsNeverWipeItsPartnersRecords) {
  // CONTRACT.md "Missing, empty, fresh": a fresh node (its gravity.db holds nothing beyond
  // a fresh install) is fresh for every item.
  auto records = [](const std::string& sha, std::optional<size_t> n) {
    ItemState s = have(sha);
    s.records = n;
    return s;
  };
  struct Case {
    const char* what;
    Item item;
    ItemState local, remote;
    Freshness local_fresh, remote_fresh;
    bool force;
    SyncMode mode;
    Action action;
    ExitCode refusal;
  };
  const History hist{"full", "full"};
  const Case cases[] = {
      {"fresh remote's empty item over local records", Item::custom_dns, records("full", 3), records("empty", 0),
       Freshness::configured, Freshness::fresh, false, SyncMode::sync, Action::pull, ExitCode::refused},
      {"the same for a CNAME list", Item::cname, records("full", 1), records("empty", 0), Freshness::configured,
       Freshness::fresh, false, SyncMode::sync, Action::pull, ExitCode::refused},
      {"and for DHCP hosts, pushed from a fresh local node", Item::static_dhcp, records("empty", 0), records("full", 2),
       Freshness::fresh, Freshness::configured, false, SyncMode::sync, Action::push, ExitCode::refused},
      {"pull requested: still refused", Item::custom_dns, records("full", 3), records("empty", 0),
       Freshness::configured, Freshness::fresh, false, SyncMode::pull, Action::pull, ExitCode::refused},
      {"--force means it", Item::custom_dns, records("full", 3), records("empty", 0), Freshness::configured,
       Freshness::fresh, true, SyncMode::sync, Action::pull, ExitCode::ok},
      {"a node with configuration may empty an item", Item::custom_dns, records("full", 3), records("empty", 0),
       Freshness::configured, Freshness::configured, false, SyncMode::sync, Action::pull, ExitCode::ok},
      {"a fresh node's records are no wipe", Item::custom_dns, records("full", 3), records("other", 1),
       Freshness::configured, Freshness::fresh, false, SyncMode::sync, Action::pull, ExitCode::ok},
      {"an empty item over an empty one is nothing to wipe", Item::custom_dns, records("full", 0), records("empty", 0),
       Freshness::configured, Freshness::fresh, false, SyncMode::sync, Action::pull, ExitCode::ok},
      {"a node whose gravity.db cannot be read may be fresh", Item::custom_dns, records("full", 3), records("empty", 0),
       Freshness::configured, Freshness::unknown, false, SyncMode::sync, Action::pull, ExitCode::refused},
      {"the fresh receiver is the one set up", Item::custom_dns, records("full", 3), records("empty", 0),
       Freshness::fresh, Freshness::configured, false, SyncMode::sync, Action::pull, ExitCode::ok},
  };
  for (const auto& c : cases) {
    PlanInput in = input(c.local, c.remote, hist, c.mode);
    in.item = c.item;
    in.local_fresh = c.local_fresh;
    in.remote_fresh = c.remote_fresh;
    in.force = c.force;
    const Planned p = plan_item(in);
    EXPECT_EQ(p.action, c.action) << c.what;
    EXPECT_EQ(p.refusal, c.refusal) << c.what << ": " << p.reason;
    if (c.refusal == ExitCode::refused) {
      EXPECT_NE(p.reason.find(" a fresh Pi-hole install"), std::string::npos) << p.reason;
      EXPECT_NE(p.reason.find(item_name(c.item)), std::string::npos) << p.reason;
      EXPECT_NE(p.reason.find("--force"), std::string::npos) << p.reason;
    }
  }
  // Only the empty-over-records case asks whether the sender is fresh.
  PlanInput asks = input(records("full", 3), records("empty", 0), hist);
  EXPECT_TRUE(sender_freshness_matters(asks, plan_item(asks)));
  PlanInput not_asked = input(records("full", 3), records("other", 2), hist);
  EXPECT_FALSE(sender_freshness_matters(not_asked, plan_item(not_asked)));
  // A settings value: one at FTL's default that a node sends over the other's value.
  PlanInput setting = input(records("mine", 1), records("default", 1), hist);
  setting.item = Item::setting(*find_ftl_key("dns.upstreams"));
  EXPECT_FALSE(sender_freshness_matters(setting, plan_item(setting)));  // a value someone chose
  setting.remote.at_default = true;
  EXPECT_TRUE(sender_freshness_matters(setting, plan_item(setting)));
  setting.remote_fresh = Freshness::fresh;
  const Planned refused = plan_item(setting);
  EXPECT_EQ(refused.refusal, ExitCode::refused);
  EXPECT_EQ(refused.reason,
            "the remote node is a fresh Pi-hole install (its gravity.db holds nothing beyond one) and its "
            "settings.dns.upstreams is FTL's default, which would replace the local node's value; use --force if that "
            "is intended");
  setting.force = true;
  EXPECT_EQ(plan_item(setting).action, Action::pull);
}

TEST(Plan, DifferentSchemaVersionsAreRefused) {
  PlanInput in = input(have("a", 100, 14), have("b", 100, 15));
  in.item = Item::gravity;
  auto p = plan_item(in);
  EXPECT_EQ(p.refusal, ExitCode::refused);
  EXPECT_NE(p.reason.find("update Pi-hole on both nodes"), std::string::npos);
}

TEST(Plan, AnUnreadableSideRefusesTheItem) {
  ItemState bad = have("x");
  bad.error = "database disk image is malformed";
  bad.error_code = ExitCode::refused;
  auto p = plan_item(input(have("a"), bad));
  EXPECT_EQ(p.refusal, ExitCode::refused);
  EXPECT_EQ(p.reason, "database disk image is malformed");
}

TEST(ExitCodes, PrecedenceIsFailureThenRefusedThenConflict) {
  EXPECT_EQ(worse(ExitCode::conflict, ExitCode::refused), ExitCode::refused);
  EXPECT_EQ(worse(ExitCode::refused, ExitCode::failure), ExitCode::failure);
  EXPECT_EQ(worse(ExitCode::failure, ExitCode::conflict), ExitCode::failure);
  EXPECT_EQ(worse(ExitCode::ok, ExitCode::conflict), ExitCode::conflict);
  EXPECT_EQ(worse(ExitCode::differs, ExitCode::ok), ExitCode::differs);
}

}  // namespace
}  // namespace gs
