// Issue 6: sync.gravity_mode: tables through the real binary in the lab. Only Pi-hole's
// configuration tables travel; each node keeps its own gravity rows.
#include <algorithm>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/shell.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

std::string gravity_rows(const std::string& db) { return sqlite(db, "SELECT count(*) FROM gravity;"); }

class TablesMode : public ::testing::Test {
 protected:
  void SetUp() override {
    lab.set_sync_option("gravity_mode: tables");
    // This node's own blocklist domains differ from the remote's: they must stay.
    sqlite(lab.gravity("secondary"), "DELETE FROM gravity WHERE rowid % 2 = 0;");
    auto r = lab.run({"sync"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    lab.clear_calls();
  }
  Lab lab{30000};
};

TEST_F(TablesMode, AConfigurationChangeTravelsAsTablesOnlyAndLandsIntact) {
  const std::string own_rows = gravity_rows(lab.gravity("secondary"));
  const uint64_t db_size = stat_file(lab.gravity("primary"))->size;
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain, comment) VALUES (1, 'tables.example.com', 'it''s new');"
                                 "INSERT INTO client (ip) VALUES ('10.0.0.77');");
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& g = *item(doc, "gravity");
  EXPECT_EQ(g["action"].as_string(), "pull");
  EXPECT_EQ(g["result"].as_string(), "ok");
  EXPECT_FALSE(g["rebuild"].as_bool());
  // A few KB on the wire for a database of megabytes.
  EXPECT_GT(db_size, 1'500'000u);
  EXPECT_GT(g["bytes"].as_int(), 0);
  EXPECT_LT(g["bytes"].as_int(), 64 * 1024) << g["bytes"].as_int();
  EXPECT_EQ(g["backup"].as_string().rfind("local:gravity:", 0), 0u);
  EXPECT_EQ(domains(lab.gravity("secondary")), domains(lab.gravity("primary")));
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM client WHERE ip = '10.0.0.77';"), "1\n");
  EXPECT_EQ(gravity_rows(lab.gravity("secondary")), own_rows);
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "PRAGMA integrity_check;"), "ok\n");
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns reload-lists"});
  EXPECT_TRUE(lab.reloads("primary").empty());
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(TablesMode, AnAdlistChangeRebuildsGravityOnTheReceiverOnly) {
  sqlite(lab.gravity("secondary"), "INSERT INTO adlist (address, enabled, comment) VALUES "
                                    "('https://example.com/more-ads.txt', 1, 'added here');");
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& g = *item(doc, "gravity");
  EXPECT_EQ(g["action"].as_string(), "push");
  EXPECT_TRUE(g["rebuild"].as_bool());
  EXPECT_NE(g["message"].as_string().find("pihole -g"), std::string::npos) << g["message"].as_string();
  EXPECT_LT(g["bytes"].as_int(), 64 * 1024);
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM adlist WHERE address = 'https://example.com/more-ads.txt';"),
            "1\n");
  // `pihole -g` reloads the lists itself: no second reload there, nothing here.
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole -g"});
  EXPECT_TRUE(lab.reloads("secondary").empty());

  // A change that is not to the adlists is applied without a rebuild.
  lab.clear_calls();
  sqlite(lab.gravity("secondary"), "UPDATE domainlist SET enabled = 0 WHERE type = 3;");
  auto again = lab.run({"--json", "sync"});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_FALSE((*item(again.json(), "gravity"))["rebuild"].as_bool());
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole restartdns reload-lists"});
}

TEST_F(TablesMode, AFailedRebuildIsExit8AndTheTablesStayInPlaceUntilTheRebuildRuns) {
  // This node's `pihole -g` fails (no blocklist can be downloaded, say): the tables are in
  // place, the rebuild is pending, and the next run retries it first.
  const std::string original = lab.config_text();
  const std::string wrapper = lab.dir() + "/pihole-no-rebuild";
  write_text(wrapper,
             "#!/bin/sh\nif [ \"$1\" = -g ]; then echo 'gravity: cannot download' >&2; exit 1; fi\nexec " +
                 shell_quote(lab.path("secondary", "shim/pihole")) + " \"$@\"\n",
             0755);
  lab.set_node_command("secondary", "pihole_command", wrapper);
  sqlite(lab.gravity("primary"), "UPDATE adlist SET enabled = 1 WHERE id = 3;");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 8) << r.out << r.err;
  const Json doc = r.json();
  const std::string message = (*item(doc, "gravity"))["message"].as_string();
  EXPECT_NE(message.find("pihole -g"), std::string::npos) << message;
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT enabled FROM adlist WHERE id = 3;"), "1\n");
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "PRAGMA integrity_check;"), "ok\n");
  // Repaired: the next run, with nothing else to do, runs the rebuild it owes.
  lab.set_config(original);
  lab.clear_calls();
  auto fixed = lab.run({"sync"});
  EXPECT_EQ(fixed.code, 0) << fixed.out << fixed.err;
  const auto reloads = lab.reloads("secondary");
  EXPECT_NE(std::find(reloads.begin(), reloads.end(), "pihole -g"), reloads.end());
}

TEST_F(TablesMode, AMissingDatabaseIsCreatedFromTheWholeFile) {
  ASSERT_EQ(::unlink(lab.gravity("secondary").c_str()), 0);
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_GT((*item(r.json(), "gravity"))["bytes"].as_int(), 1'000'000);
  EXPECT_EQ(gravity_rows(lab.gravity("secondary")), gravity_rows(lab.gravity("primary")));
}

TEST(TablesModeV6, ListsReloadWithoutRestartingFtl) {
  Lab lab({"--v6", "primary", "--v6", "secondary"}, 20000);
  lab.set_sync_option("gravity_mode: tables");
  ASSERT_EQ(lab.run({"sync", "--only", "gravity"}).code, 0);  // history: who changed what from here on
  lab.clear_calls();
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'v6-tables.example.com');");
  auto r = lab.run({"--json", "sync", "--only", "gravity"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ((*item(r.json(), "gravity"))["action"].as_string(), "push");
  EXPECT_LT((*item(r.json(), "gravity"))["bytes"].as_int(), 64 * 1024);
  EXPECT_EQ(domains(lab.gravity("primary")), domains(lab.gravity("secondary")));
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole reloadlists"});
}

}  // namespace
}  // namespace gs::test
