// LocalNode against real files: verify, back up, swap, and every refusal path.
#include <gtest/gtest.h>

#include <atomic>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "gravity_sync/node/local_node.hpp"
#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "fake_node.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

using test::make_gravity_db;
using test::read_text;
using test::sqlite;
using test::TempDir;
using test::write_text;

class LocalNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(make_dirs(root + "/pihole").ok());
    ASSERT_TRUE(make_dirs(root + "/dnsmasq.d").ok());
    ASSERT_TRUE(make_dirs(root + "/other").ok());
    layout.pihole_dir = root + "/pihole";
    layout.dnsmasq_dir = root + "/dnsmasq.d";
    layout.pihole_command = "/bin/true";
    layout.ftl_command = "/bin/true";
    node = std::make_unique<LocalNode>(layout, BackupPolicy{root + "/backups", 3}, root + "/state");
    node->set_waits({Millis(300), Millis(300)});
    make_gravity_db(live());
    ::chmod(live().c_str(), 0664);
  }

  std::string live() const { return layout.item_path(Item::gravity); }

  // A staged gravity copy (as a pull leaves it) with one more deny domain.
  Staged staged_gravity(const std::string& schema = "gravity-v15.sql") {
    const std::string src = root + "/other/gravity.db";
    ::unlink(src.c_str());
    make_gravity_db(src, schema);
    sqlite(src, "INSERT INTO domainlist (type, domain) VALUES (1, 'staged.example');");
    LocalNode other(PiholeLayout{root + "/other", root + "/other", "/bin/true", "/bin/true", ""},
                    BackupPolicy{root + "/other-backups", 3}, root + "/other-state");
    auto staged = other.stage(Item::gravity, layout.pihole_dir, StageOptions{});
    EXPECT_TRUE(staged.ok());
    return std::move(*staged);
  }

  ItemState current(Item item) { return (*node->inspect({item}))[item]; }

  TempDir dir;
  std::string root = dir.path();
  PiholeLayout layout;
  std::unique_ptr<LocalNode> node;
};

TEST_F(LocalNodeTest, InstallReplacesAtomicallyAndKeepsABackup) {
  const std::string before = read_text(live());
  struct stat old_st {};
  ::stat(live().c_str(), &old_st);
  auto staged = staged_gravity();
  auto installed = node->install(staged, current(Item::gravity));
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  ASSERT_TRUE(installed->backup_id);
  EXPECT_EQ(sqlite(live(), "SELECT count(*) FROM domainlist WHERE domain = 'staged.example';"), "1\n");
  struct stat new_st {};
  ::stat(live().c_str(), &new_st);
  EXPECT_NE(new_st.st_ino, old_st.st_ino) << "a new inode, renamed into place";
  EXPECT_EQ(new_st.st_mode & 07777, 0664u);
  auto backups = node->backups();
  ASSERT_EQ(backups->size(), 1u);
  EXPECT_EQ(backups->front().id, *installed->backup_id);
  EXPECT_EQ(sqlite(backups->front().path, "SELECT count(*) FROM domainlist WHERE domain = 'staged.example';"), "0\n");
  EXPECT_FALSE(read_text(live()) == before);
}

TEST_F(LocalNodeTest, InstallKeepsOwnerAndMode) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to chown";
  }
  ASSERT_EQ(::chown(live().c_str(), 999, 998), 0);
  ASSERT_EQ(::chmod(live().c_str(), 0640), 0);
  auto staged = staged_gravity();
  ASSERT_TRUE(node->install(staged, current(Item::gravity)).ok());
  struct stat st {};
  ::stat(live().c_str(), &st);
  EXPECT_EQ(st.st_uid, 999u);
  EXPECT_EQ(st.st_gid, 998u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(LocalNodeTest, ACreatedItemGetsTheDirectoryOwnerAndContractMode) {
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(layout.dnsmasq_dir.c_str(), 1234, 1235), 0);
  }
  write_text(root + "/other/05-pihole-custom-cname.conf", "cname=a.lan,b.lan\n");
  LocalNode other(PiholeLayout{root + "/other", root + "/other", "/bin/true", "/bin/true", ""},
                  BackupPolicy{root + "/other-backups", 3}, root + "/other-state");
  auto staged = other.stage(Item::cname, node->staging_dir(Item::cname), StageOptions{});
  ASSERT_TRUE(staged.ok());
  auto installed = node->install(*staged, current(Item::cname));
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  EXPECT_FALSE(installed->backup_id) << "nothing was replaced";
  struct stat st {};
  ::stat(layout.item_path(Item::cname).c_str(), &st);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 1234u);
  }
}

TEST_F(LocalNodeTest, ACorruptCopyIsRefusedAndTheLiveFileUntouched) {
  const std::string before = read_text(live());
  auto staged = staged_gravity();
  auto bytes = read_text(staged.path);
  for (size_t i = 4096; i < 12288 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(0x5a);
  write_text(staged.path, bytes, 0600);
  staged.sha256 = *sha256_file(staged.path);  // the sender hashed what it sent: the corruption came before
  auto installed = node->install(staged, current(Item::gravity));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused);
  EXPECT_EQ(read_text(live()), before);
  EXPECT_TRUE(node->backups()->empty());
}

TEST_F(LocalNodeTest, AChecksumMismatchIsRefused) {
  const std::string before = read_text(live());
  auto staged = staged_gravity();
  staged.sha256 = std::string(64, '0');
  auto installed = node->install(staged, current(Item::gravity));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused);
  EXPECT_NE(installed.error().message.find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(read_text(live()), before);
}

TEST_F(LocalNodeTest, AnotherSchemaVersionIsRefused) {
  const std::string before = read_text(live());
  auto staged = staged_gravity("gravity-v19.sql");
  auto installed = node->install(staged, current(Item::gravity));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused);
  EXPECT_EQ(read_text(live()), before);
}

TEST_F(LocalNodeTest, NoSwapWhileGravityIsBeingRebuilt) {
  const std::string before = read_text(live());
  write_text(live() + "_temp", "rebuilding");
  auto installed = node->install(staged_gravity(), current(Item::gravity));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused);
  EXPECT_NE(installed.error().message.find("rebuilding"), std::string::npos);
  EXPECT_EQ(read_text(live()), before);
}

TEST_F(LocalNodeTest, ARebuildIsWaitedOutOnTheNodesClockThenRefusedLeavingNothing) {
  // The wait is the shared procedure's (PiholeNode::install_copy), read on the node's clock:
  // the whole configured wait passes on the fake clock, none of it for real.
  test::FakeClock clock;
  node->set_clock(clock);
  node->set_waits({Millis(30'000), Millis(300)});
  const std::string before = read_text(live());
  write_text(live() + "_temp", "rebuilding");
  auto staged = staged_gravity();
  const std::string copy = staged.path;
  auto installed = node->install(staged, current(Item::gravity));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused);
  EXPECT_GE(clock.slept(), Millis(30'000));
  EXPECT_LE(clock.slept(), Millis(30'250));
  EXPECT_EQ(read_text(live()), before);
  EXPECT_TRUE(node->backups()->empty()) << "nothing replaced, so nothing backed up";
  staged = Staged{};  // the staged copy goes with its Staged, whatever happened
  EXPECT_FALSE(stat_file(copy)->exists);
}

TEST_F(LocalNodeTest, RebuildThatEndsInTimeIsWaitedFor) {
  node->set_waits({Millis(5000), Millis(300)});
  write_text(live() + "_temp", "rebuilding");
  std::thread finisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    ::unlink((live() + "_temp").c_str());
  });
  auto installed = node->install(staged_gravity(), current(Item::gravity));
  finisher.join();
  EXPECT_TRUE(installed.ok()) << installed.error().message;
}

TEST_F(LocalNodeTest, AStaleWalNeverSurvivesBesideTheNewFile) {
  write_text(live() + "-wal", std::string(4096, 'x'));
  auto installed = node->install(staged_gravity(), current(Item::gravity));
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  auto wal = *stat_file(live() + "-wal");
  EXPECT_FALSE(wal.exists && wal.size > 0);
  EXPECT_EQ(sqlite(live(), "PRAGMA integrity_check;"), "ok\n");
}

TEST_F(LocalNodeTest, NoSwapWhenTheOldFilesJournalCannotBeRecovered) {
  const std::string before = read_text(live());
  // A journal SQLite can neither read nor remove: nothing may be renamed next to it.
  ASSERT_TRUE(make_dirs(live() + "-journal/blocked").ok());
  auto installed = node->install(staged_gravity(), current(Item::gravity));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused) << installed.error().message;
  EXPECT_EQ(read_text(live()), before);
  EXPECT_TRUE(node->backups()->empty()) << "a refused swap removes the backup made for it";
}

TEST_F(LocalNodeTest, AReaderHoldingTheDatabaseOpenSeesNoError) {
  // pihole-FTL keeps gravity.db open and reads it while we swap.
  auto reader = Database::open(live(), Database::Mode::read_only);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(reader->column("SELECT count(*) FROM gravity;").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<int> reads{0};
  std::thread t([&] {
    while (!stop) {
      auto r = reader->column("SELECT count(*) FROM domainlist;");
      if (!r.ok()) ++errors;
      ++reads;
    }
  });
  auto installed = node->install(staged_gravity(), current(Item::gravity));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  t.join();
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  // The old connection still reads the old inode until FTL is told to reload.
  EXPECT_EQ(reader->column("SELECT count(*) FROM domainlist WHERE domain = 'staged.example';")->front(), "0");
  auto fresh = Database::open(live(), Database::Mode::read_only);
  EXPECT_EQ(fresh->column("SELECT count(*) FROM domainlist WHERE domain = 'staged.example';")->front(), "1");
}

TEST_F(LocalNodeTest, BackupsArePrunedToKeep) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(node->install(staged_gravity(), current(Item::gravity)).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // keep = 3 newest, plus the oldest backup of this run of quick changes: the last state
  // before the run began is never pruned by the run itself (backups_to_prune, node.hpp).
  EXPECT_EQ(node->backups()->size(), 4u);
}

TEST_F(LocalNodeTest, AnInjectedDnsmasqDirectiveIsRefused) {
  write_text(layout.item_path(Item::cname), "cname=a.lan,b.lan\n");
  const std::string before = read_text(layout.item_path(Item::cname));
  write_text(root + "/other/05-pihole-custom-cname.conf", "cname=a.lan,b.lan\ndhcp-script=/tmp/evil.sh\n");
  LocalNode other(PiholeLayout{root + "/other", root + "/other", "/bin/true", "/bin/true", ""},
                  BackupPolicy{root + "/other-backups", 3}, root + "/other-state");
  auto staged = other.stage(Item::cname, node->staging_dir(Item::cname), StageOptions{});
  ASSERT_TRUE(staged.ok());
  auto installed = node->install(*staged, current(Item::cname));
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error().code, ExitCode::refused);
  EXPECT_EQ(read_text(layout.item_path(Item::cname)), before);
}

TEST_F(LocalNodeTest, RestorePutsABackupBack) {
  ASSERT_TRUE(node->install(staged_gravity(), current(Item::gravity)).ok());
  auto backups = node->backups();
  ASSERT_EQ(backups->size(), 1u);
  auto restored = node->restore(backups->front(), current(Item::gravity));
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(sqlite(live(), "SELECT count(*) FROM domainlist WHERE domain = 'staged.example';"), "0\n");
  EXPECT_EQ(node->backups()->size(), 2u) << "what the restore replaced is kept too";
}

TEST_F(LocalNodeTest, StaleTempFilesAreCleaned) {
  write_text(layout.pihole_dir + "/.gravity-sync.abc.db", "left by a killed run");
  node->clean_stale();
  EXPECT_FALSE(stat_file(layout.pihole_dir + "/.gravity-sync.abc.db")->exists);
}

TEST_F(LocalNodeTest, NotEnoughSpaceIsRefusedBeforeAnythingIsWritten) {
  auto st = node->check_space(Item::gravity, uint64_t{1} << 60, Role::receiving);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ExitCode::refused);
  EXPECT_NE(st.error().message.find("not enough disk space"), std::string::npos);
  EXPECT_TRUE(node->check_space(Item::gravity, 4096, Role::receiving).ok());
  EXPECT_TRUE(node->check_space(Item::custom_dns, uint64_t{1} << 60, Role::sending).ok()) << "a text item is read in place";
}

TEST_F(LocalNodeTest, LockIsExclusive) {
  auto first = node->lock(Millis(100));
  ASSERT_TRUE(first.ok());
  auto second = node->lock(Millis(200));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ExitCode::locked);
}

TEST_F(LocalNodeTest, ChangesToFtlAreSpacedOut) {
  // The first change waits for nothing; the next waits until FTL has had kFtlSettle to
  // take the previous one (two quick changes were seen to hang real FTL v6.4.1).
  auto& pacer = node->ftl_pacer();
  const auto t0 = std::chrono::steady_clock::now();
  pacer.before_change(*node);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kFtlSettle);
  pacer.after_change(*node, false);
  pacer.before_change(*node);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, kFtlSettle);
  // Once waited for, the next change is free again.
  const auto t1 = std::chrono::steady_clock::now();
  pacer.before_change(*node);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, kFtlSettle);
}

}  // namespace
}  // namespace gs
