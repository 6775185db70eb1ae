// gravity_mode tables: export, verify and apply on real SQLite files built from Pi-hole's
// own schemas (v15 for Pi-hole v5, v20 for v6).
#include <gtest/gtest.h>

#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/sqlite/schema.hpp"
#include "gravity_sync/sqlite/tables.hpp"
#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

using test::make_gravity_db;
using test::sqlite;
using test::TempDir;

class Tables : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    make_gravity_db(sender, GetParam(), 2000);
    make_gravity_db(receiver, GetParam(), 500);
  }
  std::string digest(const std::string& db) {
    auto d = gravity_digest(db);
    if (d) return d->sha256;
    auto t = tables_file_digest(db);
    return t ? t->sha256 : "(" + t.error().message + ")";
  }
  int version() { return gravity_digest(receiver)->schema_version; }
  TempDir dir;
  std::string sender = dir.path() + "/sender.db";
  std::string receiver = dir.path() + "/receiver.db";
  std::string tables = dir.path() + "/tables.db";
};

TEST_P(Tables, ConfigurationTravelsAloneAndLandsWithTheSameDigest) {
  sqlite(sender, "INSERT INTO \"group\" (id, name) VALUES (7, 'guests');"
                 "INSERT INTO domainlist (type, domain, comment) VALUES (1, 'it''s.example', 'quote é');"
                 "INSERT INTO domainlist_by_group (domainlist_id, group_id) SELECT max(id), 7 FROM domainlist;"
                 "INSERT INTO client (ip) VALUES ('10.0.0.9');"
                 "DELETE FROM client_by_group WHERE client_id = (SELECT max(id) FROM client) AND group_id = 0;");
  auto exported = export_tables(sender, tables);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  // A few KB: the 2,000 gravity rows stay home.
  EXPECT_LT(stat_file(tables)->size, 40'000u);
  EXPECT_EQ(sqlite(tables, "SELECT count(*) FROM sqlite_master WHERE name = 'gravity';"), "0\n");
  EXPECT_EQ(digest(tables), digest(sender));
  ASSERT_TRUE(verify_tables(tables, version(), digest(sender)).ok());

  const std::string gravity_before = sqlite(receiver, "SELECT count(*) FROM gravity;");
  auto applied = apply_tables(receiver, tables);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_FALSE(applied->adlists_changed);
  EXPECT_EQ(digest(receiver), digest(sender));
  // Mappings are exactly the sender's: the insert triggers' group-0 rows did not survive.
  EXPECT_EQ(sqlite(receiver, "SELECT count(*) FROM client_by_group WHERE group_id = 0 AND client_id = "
                             "(SELECT max(id) FROM client);"), "0\n");
  EXPECT_EQ(sqlite(receiver, "SELECT count(*) FROM gravity;"), gravity_before);
  EXPECT_EQ(sqlite(receiver, "PRAGMA integrity_check;"), "ok\n");
}

TEST_P(Tables, AnAdlistChangeAsksForARebuild) {
  sqlite(sender, "INSERT INTO adlist (address, enabled) VALUES ('https://example.com/new.txt', 1);");
  auto exported = export_tables(sender, tables);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  auto applied = apply_tables(receiver, tables);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_TRUE(applied->adlists_changed);
  EXPECT_EQ(digest(receiver), digest(sender));
}

TEST_P(Tables, AForeignOrTamperedFileIsRefused) {
  auto exported = export_tables(sender, tables);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  auto wrong_digest = verify_tables(tables, version(), std::string(64, '0'));
  ASSERT_FALSE(wrong_digest.ok());
  EXPECT_EQ(wrong_digest.error().code, ExitCode::refused);
  auto wrong_version = verify_tables(tables, 12, digest(sender));
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_NE(wrong_version.error().message.find("update Pi-hole on both nodes"), std::string::npos);
  sqlite(tables, "DROP TABLE adlist;");
  EXPECT_FALSE(verify_tables(tables, version(), digest(sender)).ok());
}

TEST_P(Tables, ADumpOfAnotherNodeBecomesTheSameTablesFile) {
  // What a remote node prints with the fixed dump SQL (its sqlite3 shell, safe mode,
  // read-only), made into a tables file here: the same configuration digest as an export.
  sqlite(sender, "INSERT INTO domainlist (type, domain, comment) VALUES (1, 'x.example', 'new\nline ''q'' é'), "
                 "(0, 'y.example', NULL);");
  const PiholeSchema* schema = pihole_schema(version());
  ASSERT_NE(schema, nullptr);
  auto dump = run_process({"sqlite3", "-batch", "-bail", "-init", "/dev/null", "-list", "-noheader", "-safe", "-readonly",
                           sender, "BEGIN;", table_dump_sql(*schema), "COMMIT;"});
  ASSERT_TRUE(dump.ok());
  ASSERT_EQ(dump->exit_code, 0) << dump->err;
  auto made = tables_from_dump(*schema, dump->out, tables);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(digest(tables), digest(sender));
  ASSERT_TRUE(verify_tables(tables, version(), digest(sender)).ok());
}

TEST_P(Tables, ADumpWithForeignLinesIsRefused) {
  const PiholeSchema* schema = pihole_schema(version());
  for (const char* bad : {"sqlite_master t:41", "gravity t:61 i:31", "adlist i:31", "group i:3x t:41 t:41 i:31 i:31 t:",
                          "group i: t:41 i:31 t:41 i:31 i:31 t:", "group q:31 i:31 t:41 i:31 i:31 t:"}) {
    TempDir d;
    auto made = tables_from_dump(*schema, bad, d.path() + "/t.db");
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_EQ(made.error().code, ExitCode::refused) << bad;
  }
}

TEST_P(Tables, ATablesFileWithMoreThanTablesIsRefused) {
  for (const char* extra : {"CREATE TABLE evil (x);", "CREATE VIEW v AS SELECT 1;",
                            "CREATE TRIGGER t AFTER INSERT ON adlist BEGIN SELECT 1; END;",
                            "CREATE INDEX i ON domainlist (comment);"}) {
    TempDir d;
    const std::string path = d.path() + "/t.db";
    ASSERT_TRUE(export_tables(sender, path).ok());
    sqlite(path, extra);
    auto st = verify_tables(path, version(), digest(sender));
    ASSERT_FALSE(st.ok()) << extra;
    EXPECT_NE(st.error().message.find("is not a tables file"), std::string::npos) << st.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(Schemas, Tables, ::testing::Values("gravity-v15.sql", "gravity-v20.sql"));

}  // namespace
}  // namespace gs
