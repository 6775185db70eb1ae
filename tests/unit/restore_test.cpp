// The `restore` use case (sync/restore) against two recording fake nodes: which locks it
// takes, what it checks first, and the reload it sends.
#include <gtest/gtest.h>

#include "fake_node.hpp"
#include "gravity_sync/sync/restore.hpp"

namespace gs::test {
namespace {

using Calls = std::vector<std::string>;

// Both nodes hold gravity (v5); the one named `where` replaced it once, keeping a backup.
struct Pair {
  FakeNode local{"local"};
  FakeNode remote{"remote"};
  explicit Pair() {
    for (FakeNode* n : {&local, &remote}) {
      FakeItem g;
      g.digest = "g1";
      n->set_item(Item::gravity, g);
    }
  }
  // Replace `node`'s gravity with `digest`, keeping a backup of "g1"; its id.
  std::string replace(FakeNode& node, const std::string& digest) {
    auto staged = new_staged(Item::gravity, dir.path());
    EXPECT_TRUE(staged.ok());
    staged->staged.digest = digest;
    ItemState current;
    current.exists = true;
    auto installed = node.install(staged->staged, current);
    EXPECT_TRUE(installed.ok());
    return installed.ok() ? installed->backup_id.value_or("") : "";
  }
  Result<Restored> restore(const std::string& id) {
    StateStore state(dir.path() + "/state", "pi.example:22");
    return restore_backup(local, remote, state, id, Millis(0), Millis(0));
  }
  std::optional<PendingReload> pending(Side side) {
    StateStore state(dir.path() + "/state", "pi.example:22");
    EXPECT_TRUE(state.load());
    return state.pending_reload(side);
  }
  TempDir dir;
};

TEST(Restore, ABackupOfEitherNodeGoesBackUnderTheLocksItNeeds) {
  struct Case {
    const char* where;
    Calls local;   // what the local node did
    Calls remote;  // what the remote node did
  };
  const Case cases[] = {
      {"local", {"lock", "restore local:gravity:1", "reload lists", "release_replaced", "unlock"}, {}},
      {"remote", {"lock", "unlock"}, {"lock", "restore remote:gravity:1", "reload lists", "release_replaced", "unlock"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.where);
    Pair p;
    FakeNode& node = std::string(c.where) == "local" ? p.local : p.remote;
    const std::string id = p.replace(node, "g2");
    ASSERT_EQ(id, std::string(c.where) + ":gravity:1");
    const auto local_before = p.local.actions().size();
    const auto remote_before = p.remote.actions().size();
    auto r = p.restore(id);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->entry.id, id);
    EXPECT_EQ(r->backup_id, std::string(c.where) + ":gravity:2") << "what the restore replaced is kept";
    EXPECT_EQ(node.item(Item::gravity).digest, "g1");
    const Calls local = p.local.actions(), remote = p.remote.actions();
    EXPECT_EQ(Calls(local.begin() + static_cast<long>(local_before), local.end()), c.local);
    EXPECT_EQ(Calls(remote.begin() + static_cast<long>(remote_before), remote.end()), c.remote);
  }
}

TEST(Restore, AnUnknownIdIsAUsageErrorAndTouchesNothing) {
  Pair p;
  p.replace(p.local, "g2");
  auto r = p.restore("local:gravity:20990101T000000000Z");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ExitCode::usage);
  EXPECT_EQ(p.local.item(Item::gravity).digest, "g2");
  for (const FakeNode* n : {&p.local, &p.remote}) {
    for (const auto& call : n->actions()) EXPECT_NE(call, "lock") << n->name();
  }
}

TEST(Restore, AFailureKeepsItsCodeAndSendsNoReload) {
  struct Case {
    const char* call;
    Error error;
    ExitCode want;
  };
  const Case cases[] = {
      {"lock", {ExitCode::locked, "another run holds the lock"}, ExitCode::locked},
      {"restore remote:gravity:1", {ExitCode::refused, "integrity check failed"}, ExitCode::refused},
      {"reload lists", {ExitCode::failure, "pihole failed"}, ExitCode::failure},
      {"can_reload", {ExitCode::refused, "the remote node could not reload Pi-hole"}, ExitCode::refused},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.call);
    Pair p;
    const std::string id = p.replace(p.remote, "g2");
    p.remote.fail(c.call, c.error);
    auto r = p.restore(id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.want) << r.error().message;
    if (std::string(c.call) != "reload lists") {
      EXPECT_EQ(p.remote.item(Item::gravity).digest, "g2") << "nothing was put back";
      for (const auto& call : p.remote.actions()) EXPECT_NE(call, "reload lists");
      EXPECT_FALSE(p.pending(Side::remote));
    } else {
      // Put back, not served: the reload is owed, as after a sync.
      ASSERT_TRUE(p.pending(Side::remote));
      EXPECT_EQ(p.pending(Side::remote)->items, std::vector<Item>{Item::gravity});
      EXPECT_FALSE(p.pending(Side::local));
    }
  }
}

}  // namespace
}  // namespace gs::test
