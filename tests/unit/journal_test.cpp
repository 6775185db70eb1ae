// A journal beside a Pi-hole database is written by the pihole user; gravity-sync runs as
// root. SQLite must never be let roll back one that names a super-journal (it deletes the
// file named) or open one that is a FIFO (it blocks for good). Both are refused, and the
// VFS refuses the deletion even when the check is raced.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

// A journal for `db` whose header is no header (no page is played back) and whose end
// names `super_journal` (what SQLite reads before rolling back), as the pihole user can
// write one.
void write_super_journal(const std::string& db, const std::string& super_journal) {
  std::string j(512, 'X');
  auto be32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) j += static_cast<char>((v >> shift) & 0xff);
  };
  be32(0);
  j += super_journal;
  uint32_t sum = 0;
  for (unsigned char c : super_journal) sum += c;
  be32(static_cast<uint32_t>(super_journal.size()));
  be32(sum);
  j += std::string("\xd9\xd5\x05\xf9\x20\xa1\x63\xd7", 8);
  write_text(db + "-journal", j, 0644);
}

TEST(Journal, OneNamingASuperJournalIsRefusedAndNothingIsDeleted) {
  TempDir dir;
  const std::string db = dir.path() + "/gravity.db";
  const std::string victim = dir.path() + "/victim";
  make_gravity_db(db);
  write_text(victim, "root's file\n", 0600);
  write_super_journal(db, victim);
  for (const auto mode : {Database::Mode::read_only, Database::Mode::read_write}) {
    auto opened = Database::open(db, mode);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ExitCode::refused) << opened.error().message;
    EXPECT_NE(opened.error().message.find("super-journal"), std::string::npos) << opened.error().message;
  }
  EXPECT_FALSE(gravity_digest(db).ok());
  EXPECT_TRUE(stat_file(victim)->exists) << "SQLite deleted the file the journal named";
}

TEST(Journal, TheVfsRefusesToDeleteWhatAJournalNamesWhenTheCheckIsRaced) {
  TempDir dir;
  const std::string db = dir.path() + "/gravity.db";
  const std::string victim = dir.path() + "/victim";
  make_gravity_db(db);
  write_text(victim, "root's file\n", 0600);
  ASSERT_TRUE(Database::open(db, Database::Mode::read_only).ok());  // the VFS is registered
  // The journal appears after the check: SQLite opened through gravity-sync's VFS.
  write_super_journal(db, victim);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, "gravity-sync"), SQLITE_OK);
  (void)sqlite3_exec(raw, "SELECT count(*) FROM sqlite_master;", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  EXPECT_TRUE(stat_file(victim)->exists) << "SQLite deleted the file the journal named";
  // Through the default VFS the same journal deletes it: the test sees what it guards.
  write_super_journal(db, victim);
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  (void)sqlite3_exec(raw, "SELECT count(*) FROM sqlite_master;", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  EXPECT_FALSE(stat_file(victim)->exists) << "the crafted journal no longer reaches SQLite's deletion";
}

TEST(Journal, ANonRegularJournalOrWalIsRefusedWithoutBlocking) {
  for (const char* suffix : {"-journal", "-wal"}) {
    SCOPED_TRACE(suffix);
    TempDir dir;
    const std::string db = dir.path() + "/gravity.db";
    make_gravity_db(db);
    ASSERT_EQ(::mkfifo((db + suffix).c_str(), 0644), 0);
    auto opened = Database::open(db, Database::Mode::read_only);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ExitCode::refused);
    EXPECT_NE(opened.error().message.find("not a regular file"), std::string::npos) << opened.error().message;
  }
}

TEST(Journal, AnOrdinaryHotJournalIsStillRolledBack) {
  TempDir dir;
  const std::string db = dir.path() + "/gravity.db";
  make_gravity_db(db);
  EXPECT_TRUE(check_journal(db).ok());
  write_text(db + "-journal", "", 0644);  // an empty journal is no journal
  EXPECT_TRUE(check_journal(db).ok());
  EXPECT_TRUE(gravity_digest(db).ok());
}

}  // namespace
}  // namespace gs::test
