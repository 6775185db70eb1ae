// Issue 12: a hostile peer, or Pi-hole's own unprivileged user (who owns /etc/pihole),
// must never reach root, plant configuration or destroy data. Each test is an attack
// through the real binary against the lab's real Pi-hole nodes; each would have worked
// before the fix it names.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// --- no SQL from a database's schema or content ------------------------------------

// A column whose name ends the digest's statement and starts another: SQL built from the
// schema ran it on the live gravity.db, opened read-write, as root.
TEST(HostileSchema, AColumnNameCarryingSqlIsRefusedAndRunsNothingHere) {
  Lab lab;
  const std::string db = lab.gravity("secondary");
  const std::string adlists = sqlite(db, "SELECT count(*) FROM adlist;");
  sqlite(db, "ALTER TABLE domainlist ADD COLUMN \"x\"\")) FROM \"\"domainlist\"\"; DELETE FROM \"\"adlist\"\"; "
             "SELECT ((\"\"x\";");
  for (const char* command : {"compare", "sync"}) {
    auto r = lab.run({"--json", command});
    EXPECT_EQ(r.code, 5) << command << ": " << r.out << r.err;
    const std::string message = (*item(r.json(), "gravity"))["message"].as_string();
    EXPECT_NE(message.find("is not Pi-hole's gravity database of schema 15"), std::string::npos) << message;
    EXPECT_NE(message.find("the columns of table domainlist are not Pi-hole's"), std::string::npos) << message;
  }
  EXPECT_EQ(sqlite(db, "SELECT count(*) FROM adlist;"), adlists);
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM adlist;"), adlists);
}

// A column whose name holds a line that starts with a dot: generated SQL piped into the
// remote's sqlite3 shell ran it as a dot-command, as root there.
TEST(HostileSchema, ARemoteColumnNameCarryingADotCommandRunsNothingThere) {
  Lab lab;
  const std::string marker = lab.path("primary", "pwned");
  sqlite(lab.gravity("primary"), "ALTER TABLE adlist ADD COLUMN \"id\"\")) FROM \"\"adlist\"\";\n.shell touch " + marker +
                                     "\nSELECT ((\"\"id\";");
  for (const char* command : {"compare", "sync", "pull"}) {
    auto r = lab.run({"--json", command});
    EXPECT_EQ(r.code, 5) << command << ": " << r.out << r.err;
    const std::string message = (*item(r.json(), "gravity"))["message"].as_string();
    EXPECT_NE(message.find("the columns of table adlist are not Pi-hole's"), std::string::npos) << message;
  }
  EXPECT_FALSE(exists(marker)) << "a dot-command ran on the remote";
}

// A view where Pi-hole has a table: reading "client" would run the view's SQL.
TEST(HostileSchema, AViewInPlaceOfAPiholeTableIsRefusedOnBothNodes) {
  Lab lab;
  for (const char* node : {"primary", "secondary"}) {
    const std::string db = lab.gravity(node);
    sqlite(db, "DROP TRIGGER tr_client_add; DROP TRIGGER tr_client_update; DROP TRIGGER tr_client_delete;"
               "ALTER TABLE client RENAME TO client_old;"
               "CREATE VIEW client AS SELECT id, ip, date_added, date_modified, comment FROM client_old;");
    auto r = lab.run({"--json", "compare", "--only", "gravity"});
    EXPECT_EQ(r.code, 5) << node << ": " << r.out << r.err;
    const std::string message = (*item(r.json(), "gravity"))["message"].as_string();
    EXPECT_NE(message.find("is not Pi-hole's gravity database"), std::string::npos) << message;
    // Put it back for the other node's turn.
    sqlite(db, "DROP VIEW client; ALTER TABLE client_old RENAME TO client;");
  }
}

// A trigger of the attacker's in a database received from a peer: it would run in every
// later write to the table (by FTL, by pihole -g), as root.
TEST(HostileSchema, AReceivedDatabaseWithAForeignTriggerIsNeverInstalled) {
  Lab lab;
  const std::string before = sqlite(lab.gravity("secondary"), "SELECT count(*) FROM sqlite_master;");
  sqlite(lab.gravity("primary"), "CREATE TRIGGER tr_evil AFTER INSERT ON domainlist BEGIN "
                                 "DELETE FROM adlist; END;"
                                 "INSERT INTO domainlist (type, domain) VALUES (1, 'bait.example');");
  auto r = lab.run({"--json", "pull", "--only", "gravity"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const std::string message = (*item(r.json(), "gravity"))["message"].as_string();
  EXPECT_NE(message.find("a trigger tr_evil Pi-hole does not create"), std::string::npos) << message;
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM sqlite_master;"), before);
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM sqlite_master WHERE name = 'tr_evil';"), "0\n");
}

// The same for tables mode, where the receiver copies rows into its own database.
TEST(HostileSchema, TablesModeRefusesAForeignSchemaOnEitherSide) {
  Lab lab;
  lab.set_sync_option("gravity_mode: tables");
  ASSERT_EQ(lab.run({"sync", "--only", "gravity"}).code, 0);
  const std::string marker = lab.path("primary", "pwned");
  sqlite(lab.gravity("primary"), "ALTER TABLE domainlist ADD COLUMN \"id\"\")) FROM \"\"domainlist\"\";\n.shell touch " +
                                     marker + "\nSELECT ((\"\"id\";"
                                     "INSERT INTO domainlist (type, domain) VALUES (1, 'bait.example');");
  auto pull = lab.run({"--json", "pull", "--only", "gravity"});
  EXPECT_EQ(pull.code, 5) << pull.out << pull.err;
  EXPECT_FALSE(exists(marker));
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist WHERE domain = 'bait.example';"), "0\n");
}

// --- text items held to what dnsmasq reads ------------------------------------------

// dnsmasq reads a line in pieces of 1,024 bytes: what follows is read as a line of its own.
TEST(HostileText, ADirectiveBeyondDnsmasqsLineLengthNeverReachesThisNode) {
  Lab lab;
  const std::string before = read_text(lab.cname("secondary"));
  const std::string head = "cname=tv.lan,nas.lan # ";
  write_text(lab.cname("primary"), "cname=files.lan,nas.lan\n" + head + std::string(1023 - head.size(), 'x') +
                                       "address=/bank.example/10.6.6.6\n");
  auto r = lab.run({"--json", "sync", "--only", "cname"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const std::string message = (*item(r.json(), "cname"))["message"].as_string();
  EXPECT_NE(message.find("dnsmasq reads at most 1023 bytes of a line"), std::string::npos) << message;
  EXPECT_EQ(read_text(lab.cname("secondary")), before);
  EXPECT_EQ(lab.dig("secondary", "bank.example"), "NXDOMAIN");
}

// --- the last known-good version survives ----------------------------------------------

TEST(HostileChanges, ManyQuickChangesFromAPeerNeverFlushTheLastGoodBackup) {
  Lab lab;
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("backup:\n"), 8, "backup:\n  keep: 2\n");
  lab.set_config(yaml);
  const std::string good = read_text(lab.custom_list("secondary"));
  for (int i = 0; i < 6; ++i) {
    write_text(lab.custom_list("primary"), "10.6.6." + std::to_string(i) + " nas.lan\n");
    ASSERT_EQ(lab.run({"sync", "--only", "custom-dns"}).code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct backup names
  }
  // Two newest backups, and the version from before the peer's changes.
  const Json list = lab.run({"--json", "backups"}).json();
  std::vector<std::string> contents;
  for (const auto& b : list.items()) {
    if (b["node"].as_string() != "local" || b["item"].as_string() != "custom-dns") continue;
    const std::string id = b["id"].as_string();
    contents.push_back(read_text(lab.path("secondary", "backups/custom-dns/" + id.substr(id.rfind(':') + 1) + ".list")));
  }
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_EQ(contents.front(), good);
}

}  // namespace
}  // namespace gs::test
