// Real SQLite files built from Pi-hole's own schemas (shared/fixtures/pihole).
#include <gtest/gtest.h>

#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/sqlite/schema.hpp"
#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

using test::make_gravity_db;
using test::sqlite;
using test::TempDir;

// The digest the way the remote computes it: the sqlite3 shell (safe mode, read-only) on
// the fixed statements of the database's schema, and sha256sum.
std::string shell_digest(const std::string& db, int version) {
  const std::string opts = "-batch -bail -init /dev/null -list -noheader -safe -readonly ";
  auto r = run_shell("sqlite3 " + opts + shell_quote(db) + " 'BEGIN;' " +
                     shell_quote(digest_sql(*pihole_schema(version))) + " 'COMMIT;' | sha256sum | cut -c1-64");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  return r->out.substr(0, 64);
}

// The digest as releases before the fixed statements computed it: SQL generated from the
// database's own schema (which gravity-sync no longer does). The definition of the digest
// (docs/SYNC.md) is unchanged, so sync histories stay valid across the upgrade.
std::string generated_digest(const std::string& db) {
  const std::string generator =
      "SELECT 'SELECT ''#' || m.name || ''';' || char(10) || 'SELECT ''' || m.name || ' ''||hex(' || "
      "(SELECT group_concat('quote(\"' || c.name || '\")', '||'',''||') FROM (SELECT name FROM pragma_table_info(m.name) "
      "WHERE name NOT IN ('date_added','date_modified','date_updated','number','invalid_domains','status','abp_entries') "
      "ORDER BY cid) AS c) || ') FROM \"' || m.name || '\" ORDER BY ' || COALESCE((SELECT group_concat('\"' || k.name || "
      "'\"', ',') FROM (SELECT name FROM pragma_table_info(m.name) WHERE pk > 0 ORDER BY pk) AS k), '1') || ';' "
      "FROM sqlite_master AS m WHERE m.type = 'table' AND m.name IN ('group','adlist','domainlist','client',"
      "'adlist_by_group','domainlist_by_group','client_by_group','domain_audit') ORDER BY m.name;";
  const std::string opts = "-batch -bail -init /dev/null -list -noheader -readonly ";
  auto r = run_shell("gen=$(sqlite3 " + opts + shell_quote(db) + " " + shell_quote(generator) +
                     ") && rows=$(printf 'BEGIN;\\n%s\\nCOMMIT;\\n' \"$gen\" | sqlite3 " + opts + shell_quote(db) +
                     ") && printf '%s\\n' \"$rows\" | sha256sum | cut -c1-64");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  return r->out.substr(0, 64);
}

class Gravity : public ::testing::Test {
 protected:
  TempDir dir;
  std::string db = dir.path() + "/gravity.db";
};

TEST_F(Gravity, DigestIsTheSameThroughTheCApiAndTheShell) {
  make_gravity_db(db);
  // Values that would trip a naive text comparison: quotes, newlines, non-ASCII, NULLs.
  sqlite(db, "INSERT INTO domainlist (type, domain, comment) VALUES (1, 'x.example', 'it''s a\nnew line é'), "
             "(1, 'y.example', NULL);");
  auto digest = gravity_digest(db);
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  EXPECT_EQ(digest->sha256, shell_digest(db, 15));
  EXPECT_EQ(digest->sha256, generated_digest(db));
  EXPECT_EQ(digest->schema_version, 15);
}

TEST_F(Gravity, DigestWorksForEverySchema) {
  for (const char* schema : {"gravity-v15.sql", "gravity-v19.sql", "gravity-v20.sql"}) {
    TempDir d;
    const std::string path = d.path() + "/gravity.db";
    make_gravity_db(path, schema);
    auto digest = gravity_digest(path);
    ASSERT_TRUE(digest.ok()) << schema << ": " << digest.error().message;
    EXPECT_EQ(digest->sha256, shell_digest(path, digest->schema_version)) << schema;
    EXPECT_EQ(digest->sha256, generated_digest(path)) << schema;
    EXPECT_GE(digest->schema_version, 15) << schema;
    EXPECT_FALSE(digest->fresh) << schema;
  }
}

TEST_F(Gravity, ARebuildIsNotAChange) {
  make_gravity_db(db, "gravity-v15.sql", 500);
  const auto before = gravity_digest(db)->sha256;
  // What `pihole -g` does: a new file from the template, the configuration tables copied
  // across by Pi-hole's own gravity_copy.sql (which drops three triggers and creates them
  // again), new statistics and timestamps, new gravity rows, renamed over.
  const std::string temp = dir.path() + "/gravity.db_temp";
  sqlite(temp, test::fixture("gravity-v15.sql"));
  auto copy = read_file(test::pihole_kit() + "/core/v5.18.4/advanced/Templates/gravity_copy.sql");
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  const std::string attach = "'/etc/pihole/gravity.db'";
  copy->replace(copy->find(attach), attach.size(), shell_quote(db));
  sqlite(temp, *copy);
  sqlite(temp, "UPDATE adlist SET number = number + 1234, invalid_domains = 7, status = 2, "
               "  date_updated = 1800000000, date_modified = 1800000000;"
               "UPDATE domainlist SET date_modified = 1800000000;"
               "INSERT INTO gravity (domain, adlist_id) VALUES ('fresh.example.com', 2);"
               "CREATE INDEX idx_gravity ON gravity (domain, adlist_id);");
  ASSERT_EQ(::rename(temp.c_str(), db.c_str()), 0);
  auto after = gravity_digest(db);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->sha256, before);
}

TEST_F(Gravity, ConfigurationChangesAreChanges) {
  make_gravity_db(db);
  const auto base = gravity_digest(db)->sha256;
  sqlite(db, "UPDATE domainlist SET comment = 'changed' WHERE id = 1;");
  const auto commented = gravity_digest(db)->sha256;
  EXPECT_NE(commented, base);
  sqlite(db, "UPDATE adlist SET enabled = 0 WHERE id = 2;");
  EXPECT_NE(gravity_digest(db)->sha256, commented);
  const auto disabled = gravity_digest(db)->sha256;
  sqlite(db, "INSERT INTO client_by_group (client_id, group_id) VALUES (1, 1);");
  EXPECT_NE(gravity_digest(db)->sha256, disabled);
}

TEST_F(Gravity, FreshInstallIsRecognised) {
  sqlite(db, test::fixture("gravity-v15.sql"));
  EXPECT_TRUE(gravity_digest(db)->fresh);
  sqlite(db, "INSERT INTO adlist (address) VALUES ('https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts');");
  EXPECT_TRUE(gravity_digest(db)->fresh) << "the installer's default adlist is not configuration of its own";
  sqlite(db, "INSERT INTO domainlist (type, domain) VALUES (1, 'mine.example');");
  EXPECT_FALSE(gravity_digest(db)->fresh);
}

TEST_F(Gravity, SnapshotVerifiesAndMatches) {
  make_gravity_db(db, "gravity-v15.sql", 2000);
  const std::string snap = dir.path() + "/snap.db";
  ASSERT_TRUE(snapshot_database(db, snap).ok());
  EXPECT_TRUE(verify_gravity(snap, 15).ok());
  EXPECT_EQ(gravity_digest(snap)->sha256, gravity_digest(db)->sha256);
}

TEST_F(Gravity, VerifyRefusesACorruptDatabase) {
  make_gravity_db(db, "gravity-v15.sql", 5000);
  // Scribble over pages in the middle of the file, as a failing SD card would.
  auto content = *read_file(db);
  for (size_t i = content.size() / 2; i < content.size() / 2 + 8192; ++i) content[i] = static_cast<char>(i * 7);
  test::write_text(db, content);
  auto st = verify_gravity(db, 15);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ExitCode::refused);
}

TEST_F(Gravity, VerifyRefusesADatabaseWithoutPiholeTables) {
  sqlite(db, "CREATE TABLE info (property TEXT PRIMARY KEY, value TEXT); INSERT INTO info VALUES ('version', '15');");
  auto st = verify_gravity(db, 15);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("is not Pi-hole's gravity database of schema 15"), std::string::npos) << st.error().message;
}

TEST_F(Gravity, VerifyRefusesAnotherSchemaVersion) {
  make_gravity_db(db, "gravity-v19.sql");
  auto st = verify_gravity(db, 15);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "schema version 19 differs from the live database's 15; update Pi-hole on both nodes to the same version first");
}

TEST_F(Gravity, VerifyRefusesAFileThatIsNotADatabase) {
  test::write_text(db, "this is not a database, just text\n");
  EXPECT_FALSE(verify_gravity(db, 0).ok());
}

}  // namespace
}  // namespace gs
