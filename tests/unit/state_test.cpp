// The state store's pending reloads (sync/state): what a node owes adds up, per node, and
// survives a save and a load.
#include <gtest/gtest.h>

#include "gravity_sync/sync/state.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

TEST(State, WhatANodeOwesAddsUpAndSurvivesASave) {
  TempDir dir;
  const std::string state_dir = dir.path() + "/state";
  StateStore state(state_dir, "pi.example:22");
  ASSERT_TRUE(state.load());
  struct Step {
    Side side;
    Reload level;
    bool rebuild;
    std::vector<Item> items;
    int64_t now;
    // What that node owes after the step.
    Reload owed;
    bool owed_rebuild;
    std::vector<Item> owed_items;
    int64_t since;
  };
  const Step steps[] = {
      {Side::local, Reload::lists, false, {Item::gravity}, 100, Reload::lists, false, {Item::gravity}, 100},
      // A heavier reload and another item join it; the debt's start stays.
      {Side::local, Reload::dns, false, {Item::custom_dns, Item::gravity}, 200, Reload::dns, false,
       {Item::gravity, Item::custom_dns}, 100},
      // A lighter one never lowers it; a rebuild is remembered.
      {Side::local, Reload::lists, true, {}, 300, Reload::dns, true, {Item::gravity, Item::custom_dns}, 100},
      // The other node's debt is its own.
      {Side::remote, Reload::dns, false, {Item::cname}, 400, Reload::dns, false, {Item::cname}, 400},
  };
  for (const auto& s : steps) {
    state.owe_reload(s.side, s.level, s.rebuild, s.items, "exit " + std::to_string(s.now), s.now);
    ASSERT_TRUE(state.save());
    StateStore reread(state_dir, "pi.example:22");
    ASSERT_TRUE(reread.load());
    auto p = reread.pending_reload(s.side);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->level, s.owed);
    EXPECT_EQ(p->rebuild, s.owed_rebuild);
    EXPECT_EQ(p->items, s.owed_items);
    EXPECT_EQ(p->since, s.since);
    EXPECT_EQ(p->error, "exit " + std::to_string(s.now)) << "the last failure is the one shown";
  }
  state.clear_pending_reload(Side::local);
  EXPECT_FALSE(state.pending_reload(Side::local));
  EXPECT_TRUE(state.pending_reload(Side::remote));
}

}  // namespace
}  // namespace gs::test
