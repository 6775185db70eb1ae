// Which backups go when more than backup.keep are kept: never the last known-good one.
#include <gtest/gtest.h>

#include "gravity_sync/node/node.hpp"

namespace gs {
namespace {

std::vector<BackupEntry> at(std::initializer_list<int64_t> times) {
  std::vector<BackupEntry> out;
  for (int64_t t : times) {
    BackupEntry b;
    b.id = "local:cname:" + std::to_string(t);
    b.time = t;
    out.push_back(b);
  }
  return out;
}

std::vector<int64_t> times(const std::vector<BackupEntry>& entries) {
  std::vector<int64_t> out;
  for (const auto& e : entries) out.push_back(e.time);
  return out;
}

TEST(Backups, TheNewestKeepStayAndOlderOnesGo) {
  // A change a day: every run of changes is one backup long.
  const int64_t day = 86400;
  EXPECT_EQ(times(backups_to_prune(at({1 * day, 2 * day, 3 * day, 4 * day}), 2)), (std::vector<int64_t>{day, 2 * day}));
  EXPECT_TRUE(backups_to_prune(at({1, 2}), 2).empty());
  EXPECT_TRUE(backups_to_prune({}, 10).empty());
}

TEST(Backups, TheVersionFromBeforeARunOfChangesSurvivesAnyNumberOfThem) {
  // Yesterday's backup, then a peer's twenty changes a minute apart: what this node had
  // before the run (the oldest backup of the run) stays, with the newest `keep`.
  std::vector<int64_t> t{1000};
  for (int i = 0; i < 20; ++i) t.push_back(100000 + 60 * i);
  std::vector<BackupEntry> entries;
  for (int64_t x : t) entries.push_back(at({x}).front());
  const auto gone = times(backups_to_prune(entries, 3));
  EXPECT_EQ(gone.size(), 17u);
  EXPECT_EQ(std::count(gone.begin(), gone.end(), 100000), 0) << "the last known-good version was pruned";
  EXPECT_EQ(std::count(gone.begin(), gone.end(), 1000), 1);
  // keep 1 still keeps it, next to the newest.
  const auto one = times(backups_to_prune(entries, 1));
  EXPECT_EQ(std::count(one.begin(), one.end(), 100000), 0);
  EXPECT_EQ(one.size(), 19u);
}

}  // namespace
}  // namespace gs

namespace gs::test {
namespace {

// A listing line comes from a peer on the remote: only names of a backup's own form are
// backups, and the path is built from the policy, never taken from the listing.
TEST(Backups, OnlyNamesOfABackupsFormAreBackups) {
  const BackupPolicy policy{"/var/lib/gravity-sync/backups", 10};
  struct Case {
    const char* dir;
    const char* file;
    bool backup;
  };
  const Case cases[] = {
      {"gravity", "20261123T042700123Z.db", true},
      {"custom-dns", "20261123T042700123Z.list", true},
      {"cname", "20261123T042700123Z.conf", true},
      {"static-dhcp", "20261123T042700123Z.conf", true},
      {"gravity", "20261123T042700123Z.list", false},    // another item's suffix
      {"gravity", "20261123T042700123Z.db.tmp", false},  // a temp file
      {"gravity", ".gravity-sync.tmp", false},
      {"gravity", "20261123T0427001Z.db", false},         // a short stamp
      {"gravity", "2026112xT042700123Z.db", false},       // not a number
      {"gravity", "../../etc/20261123T042700123Z.db", false},
      {"Gravity", "20261123T042700123Z.db", false},       // not an item's directory
      {"..", "20261123T042700123Z.db", false},
      {"gravity", "", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.dir) + "/" + c.file);
    auto entry = backup_entry(Side::remote, policy, c.dir, c.file, 42);
    ASSERT_EQ(entry.has_value(), c.backup);
    if (!entry) continue;
    EXPECT_EQ(entry->id, std::string("remote:") + c.dir + ":20261123T042700123Z");
    EXPECT_EQ(entry->path, policy.dir + "/" + c.dir + "/" + c.file);
    EXPECT_EQ(entry->size, 42u);
    EXPECT_EQ(entry->time, parse_backup_stamp("20261123T042700123Z"));
    EXPECT_EQ(entry->side, Side::remote);
  }
}

TEST(Backups, PruningTakesOnlyTheItemsOwnBackups) {
  const BackupPolicy policy{"/b", 1};
  std::vector<BackupEntry> all;
  for (const char* stamp : {"20260101T000000000Z", "20260201T000000000Z", "20260301T000000000Z"}) {
    all.push_back(*backup_entry(Side::local, policy, "gravity", std::string(stamp) + ".db", 1));
    all.push_back(*backup_entry(Side::local, policy, "cname", std::string(stamp) + ".conf", 1));
  }
  sort_backups(all);
  const auto gone = backups_to_prune(all, Item::cname, 1);
  ASSERT_EQ(gone.size(), 2u);
  for (const auto& b : gone) EXPECT_EQ(b.item, Item::cname);
  EXPECT_EQ(gone.front().id, "local:cname:20260101T000000000Z");
}

}  // namespace
}  // namespace gs::test
