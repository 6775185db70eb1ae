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
