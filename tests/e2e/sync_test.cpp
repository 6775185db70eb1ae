// Issue 3: compare, sync, pull and push through the real binary against the lab.
// "primary" is the remote (over sshd), "secondary" this node.
#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

std::string action(const Run& r, const std::string& name) {
  const Json doc = r.json();
  const Json* i = item(doc, name);
  return i ? (*i)["action"].as_string() : "(missing)";
}

uint64_t inode(const std::string& path) { return stat_file(path)->inode; }

class Sync : public ::testing::Test {
 protected:
  void SetUp() override {
    // Start from a synced pair with history.
    auto r = lab.run({"sync"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    lab.clear_calls();
  }
  Lab lab;
};

TEST_F(Sync, IdenticalSidesCompareInSync) {
  auto r = lab.run({"compare"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto j = lab.run({"--json", "compare"});
  EXPECT_EQ(j.code, 0);
  EXPECT_TRUE(j.json()["in_sync"].as_bool());
  EXPECT_EQ(j.json()["items"].items().size(), 3u);
  const Json doc = j.json();
  const Json& g = *item(doc, "gravity");
  EXPECT_EQ(g["local"]["sha256"].as_string(), g["remote"]["sha256"].as_string());
  EXPECT_EQ(g["local"]["sha256"].as_string().size(), 64u);
  EXPECT_GT(g["local"]["size"].as_int(), 0);
}

TEST_F(Sync, ARemoteGravityChangeIsPulledWithOneReloadHereOnly) {
  // Asked before: FTL keeps its verdict until the lists are reloaded.
  EXPECT_EQ(lab.dig("secondary", "pulled.example"), "NXDOMAIN");
  const int pid = lab.ftl_pid("secondary");
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'pulled.example');");
  auto cmp = lab.run({"--json", "compare"});
  EXPECT_EQ(cmp.code, 1);
  EXPECT_EQ(action(cmp, "gravity"), "pull");
  EXPECT_FALSE(cmp.json()["in_sync"].as_bool());

  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& g = *item(doc, "gravity");
  EXPECT_EQ(g["action"].as_string(), "pull");
  EXPECT_EQ(g["result"].as_string(), "ok");
  EXPECT_FALSE(g["conflict"].as_bool());
  EXPECT_EQ(g["backup"].as_string().rfind("local:gravity:", 0), 0u);
  EXPECT_GT(g["bytes"].as_int(), 0);
  EXPECT_EQ(domains(lab.gravity("secondary")), domains(lab.gravity("primary")));
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns reload-lists"});
  EXPECT_TRUE(lab.reloads("primary").empty());
  EXPECT_EQ(lab.dig_until("secondary", "pulled.example", "NOERROR 0.0.0.0"), "NOERROR 0.0.0.0");
  EXPECT_EQ(lab.ftl_pid("secondary"), pid);  // a gravity sync never restarts FTL
  EXPECT_EQ(read_text(lab.path("secondary", "log/FTL.log")).find("unlinked while open"), std::string::npos);
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(Sync, ALocalGravityChangeIsPushedWithOneReloadThereOnly) {
  // host1.ads.example is on adlist 2: blocked until that list is disabled.
  EXPECT_EQ(lab.dig("primary", "host1.ads.example"), "NOERROR 0.0.0.0");
  const int pid = lab.ftl_pid("primary");
  sqlite(lab.gravity("secondary"), "UPDATE adlist SET enabled = 0 WHERE id = 2;");
  EXPECT_EQ(action(lab.run({"--json", "compare"}), "gravity"), "push");
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT enabled FROM adlist WHERE id = 2;"), "0\n");
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole restartdns reload-lists"});
  EXPECT_EQ(lab.dig_until("primary", "host1.ads.example", "NXDOMAIN"), "NXDOMAIN");
  EXPECT_EQ(lab.ftl_pid("primary"), pid);
  EXPECT_TRUE(lab.reloads("secondary").empty());
  const Json doc = r.json();
  EXPECT_EQ((*item(doc, "gravity"))["backup"].as_string().rfind("remote:gravity:", 0), 0u);
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(Sync, CustomDnsAndCnameTravelBothWaysWithTheRightReload) {
  const int primary_pid = lab.ftl_pid("primary");
  const int secondary_pid = lab.ftl_pid("secondary");
  EXPECT_EQ(lab.dig("secondary", "new.lan"), "NXDOMAIN");
  write_text(lab.custom_list("primary"), "192.168.1.10 nas.lan\n10.1.1.1 new.lan\n");
  write_text(lab.cname("secondary"), "cname=files.lan,nas.lan\ncname=www.lan,nas.lan\n");
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(action(r, "custom-dns"), "pull");
  EXPECT_EQ(action(r, "cname"), "push");
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "192.168.1.10 nas.lan\n10.1.1.1 new.lan\n");
  EXPECT_EQ(read_text(lab.cname("primary")), "cname=files.lan,nas.lan\ncname=www.lan,nas.lan\n");
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns reload"});
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole restartdns"});
  // What users see: the new record here, the new CNAME there (after a full restart, so a
  // new PID there and the same one here).
  EXPECT_EQ(lab.dig_until("secondary", "new.lan", "NOERROR 10.1.1.1"), "NOERROR 10.1.1.1");
  EXPECT_EQ(lab.dig_until("primary", "www.lan", "NOERROR nas.lan. 192.168.1.10"), "NOERROR nas.lan. 192.168.1.10");
  EXPECT_NE(lab.ftl_pid("primary"), primary_pid);
  EXPECT_EQ(lab.ftl_pid("secondary"), secondary_pid);
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(Sync, SeveralChangesOnOneSideMeanOneReloadThere) {
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (0, 'x.example.com');");
  write_text(lab.custom_list("primary"), "10.0.0.1 a.lan\n");
  write_text(lab.cname("primary"), "cname=b.lan,a.lan\n");
  auto r = lab.run({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns"}) << r.out << r.err;
  EXPECT_TRUE(lab.reloads("primary").empty()) << r.out << r.err;
}

TEST_F(Sync, StaticDhcpSyncsWhenAsked) {
  write_text(lab.dhcp("primary"), "dhcp-host=aa:bb:cc:dd:ee:01,192.168.1.51,phone\n");
  auto r = lab.run({"sync", "--only", "static-dhcp"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_text(lab.dhcp("secondary")), "dhcp-host=aa:bb:cc:dd:ee:01,192.168.1.51,phone\n");
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns"});
}

TEST_F(Sync, PullAndPushMakeOneSideEqualWhateverTheHistory) {
  write_text(lab.custom_list("secondary"), "10.9.9.9 local-only.lan\n");
  auto pull = lab.run({"pull", "--only", "custom-dns"});
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), read_text(lab.custom_list("primary")));
  write_text(lab.custom_list("primary"), "10.8.8.8 remote-only.lan\n");
  auto push = lab.run({"push", "--only", "custom-dns"});
  ASSERT_EQ(push.code, 0) << push.err;
  EXPECT_EQ(read_text(lab.custom_list("primary")), read_text(lab.custom_list("secondary")));
}

TEST_F(Sync, NothingChangedMeansNoReloadAndNoRewrite) {
  const auto before = inode(lab.gravity("secondary"));
  const auto before_remote = inode(lab.gravity("primary"));
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0);
  const Json doc = r.json();
  for (const auto& i : doc["items"].items()) {
    EXPECT_EQ(i["action"].as_string(), "none");
    EXPECT_EQ(i["bytes"].as_int(), 0);
  }
  EXPECT_EQ(inode(lab.gravity("secondary")), before);
  EXPECT_EQ(inode(lab.gravity("primary")), before_remote);
  EXPECT_TRUE(lab.reloads("secondary").empty());
  EXPECT_TRUE(lab.reloads("primary").empty());
}

TEST_F(Sync, AGravityRebuildOnEitherSideIsNotAChange) {
  // Pi-hole's own `pihole -g` on both nodes: a new gravity.db from Pi-hole's template, the
  // configuration copied across by gravity_copy.sql, statistics and timestamps rewritten,
  // a new gravity table (the lab's lists cannot be downloaded, so it is empty), a new inode.
  for (const std::string node : {"primary", "secondary"}) {
    const uint64_t before = inode(lab.gravity(node));
    lab.node_exec(node, {"pihole", "-g"});
    EXPECT_NE(inode(lab.gravity(node)), before) << node;
  }
  auto cmp = lab.run({"compare"});
  EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
  lab.clear_calls();
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(action(r, "gravity"), "none") << r.out << r.err;
  EXPECT_TRUE(lab.reloads("secondary").empty());
  EXPECT_TRUE(lab.reloads("primary").empty());
}

TEST_F(Sync, ConflictPolicyRemotePullsAndSkipExits6) {
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  write_text(lab.custom_list("secondary"), "10.0.0.2 local.lan\n");
  auto cmp = lab.run({"--json", "compare"});
  EXPECT_EQ(cmp.code, 1);
  const Json doc = cmp.json();
  EXPECT_TRUE((*item(doc, "custom-dns"))["conflict"].as_bool());

  lab.set_sync_option("conflict: skip");
  auto skip = lab.run({"--json", "sync"});
  EXPECT_EQ(skip.code, 6) << skip.out << skip.err;
  EXPECT_EQ(action(skip, "custom-dns"), "conflict");
  EXPECT_EQ(read_text(lab.custom_list("primary")), "10.0.0.1 remote.lan\n");
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.2 local.lan\n");
  auto skip_cmp = lab.run({"compare"});
  EXPECT_EQ(skip_cmp.code, 1) << "compare reports an unresolved conflict as a difference";
}

TEST_F(Sync, ConflictPolicyRemoteAndLocal) {
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  write_text(lab.custom_list("secondary"), "10.0.0.2 local.lan\n");
  lab.set_sync_option("conflict: local");
  auto local = lab.run({"sync"});
  ASSERT_EQ(local.code, 0) << local.err;
  EXPECT_EQ(read_text(lab.custom_list("primary")), "10.0.0.2 local.lan\n");

  write_text(lab.custom_list("primary"), "10.0.0.3 remote2.lan\n");
  write_text(lab.custom_list("secondary"), "10.0.0.4 local2.lan\n");
  lab.set_sync_option("conflict: remote");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.3 remote2.lan\n");
}

TEST_F(Sync, ConflictPolicyNewerTakesTheNewerFile) {
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  write_text(lab.custom_list("secondary"), "10.0.0.2 local.lan\n");
  // The local copy is older by an hour.
  struct timespec times[2] = {{1700000000, 0}, {1700000000, 0}};
  ::utimensat(AT_FDCWD, lab.custom_list("secondary").c_str(), times, 0);
  lab.set_sync_option("conflict: newer");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 remote.lan\n");
}

TEST_F(Sync, MissingFilesAreCreatedNeverDeleted) {
  ::unlink(lab.cname("secondary").c_str());
  ::unlink(lab.custom_list("primary").c_str());
  auto cmp = lab.run({"--json", "compare"});
  const Json doc = cmp.json();
  EXPECT_FALSE((*item(doc, "cname"))["local"]["exists"].as_bool());
  EXPECT_TRUE((*item(doc, "cname"))["local"]["sha256"].is_null());
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(action(r, "cname"), "pull");
  EXPECT_EQ(action(r, "custom-dns"), "push");
  EXPECT_EQ(read_text(lab.cname("secondary")), "cname=files.lan,nas.lan\n");
  EXPECT_EQ(stat_file(lab.cname("secondary"))->mode, 0644u);
  EXPECT_TRUE(stat_file(lab.custom_list("primary"))->exists);
  EXPECT_EQ(stat_file(lab.custom_list("primary"))->mode, 0644u);
}

TEST_F(Sync, AnEmptyFileIsARealChangeAndRemovedRecordsStopResolving) {
  EXPECT_EQ(lab.dig("secondary", "files.lan"), "NOERROR nas.lan. 192.168.1.10");
  write_text(lab.custom_list("primary"), "");
  write_text(lab.cname("primary"), "# no CNAMEs any more\n");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "");
  EXPECT_TRUE(stat_file(lab.custom_list("secondary"))->exists);
  EXPECT_EQ(lab.dig_until("secondary", "nas.lan", "NXDOMAIN"), "NXDOMAIN");
  EXPECT_EQ(lab.dig_until("secondary", "files.lan", "NXDOMAIN"), "NXDOMAIN");
}

TEST_F(Sync, OwnerAndModeOfAReplacedFileAreKept) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root";
  }
  ASSERT_EQ(::chown(lab.custom_list("primary").c_str(), 999, 999), 0);
  ASSERT_EQ(::chmod(lab.custom_list("primary").c_str(), 0640), 0);
  ASSERT_EQ(::chown(lab.gravity("secondary").c_str(), 999, 1000), 0);
  ASSERT_EQ(::chmod(lab.gravity("secondary").c_str(), 0660), 0);
  write_text(lab.custom_list("secondary"), "10.0.0.7 pushed.lan\n");
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'owner.example');");
  ::chown(lab.gravity("secondary").c_str(), 999, 1000);
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  auto remote_list = *stat_file(lab.custom_list("primary"));
  EXPECT_EQ(remote_list.uid, 999u);
  EXPECT_EQ(remote_list.mode, 0640u);
  auto local_db = *stat_file(lab.gravity("secondary"));
  EXPECT_EQ(local_db.uid, 999u);
  EXPECT_EQ(local_db.gid, 1000u);
  EXPECT_EQ(local_db.mode, 0660u);
}

TEST_F(Sync, DryRunChangesNothingAndExitsLikeTheRealRun) {
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  const auto before = read_text(lab.custom_list("secondary"));
  auto r = lab.run({"--json", "sync", "--dry-run"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(action(r, "custom-dns"), "pull");
  EXPECT_EQ(read_text(lab.custom_list("secondary")), before);
  EXPECT_TRUE(lab.reloads("secondary").empty());
  lab.set_sync_option("conflict: skip");
  write_text(lab.custom_list("secondary"), "10.0.0.2 local.lan\n");
  EXPECT_EQ(lab.run({"sync", "--dry-run"}).code, 6);
  lab.set_sync_option("conflict: remote");
  // What the receiver would refuse: the dry run exits as the real run does, both ways.
  struct Refused {
    const char* command;
    const char* node;
    std::string cname;
  };
  for (const auto& c : std::vector<Refused>{{"pull", "primary", "cname=a.lan,b.lan\ncname=b.lan,a.lan\n"},
                                            {"push", "secondary", "address=/evil.lan/10.6.6.6\n"}}) {
    SCOPED_TRACE(c.command);
    write_text(lab.cname(c.node), c.cname);
    auto dry = lab.run({c.command, "--dry-run", "--only", "cname"});
    auto real = lab.run({c.command, "--only", "cname"});
    EXPECT_EQ(dry.code, 5) << dry.out << dry.err;
    EXPECT_EQ(dry.code, real.code) << real.out << real.err;
    write_text(lab.cname(c.node), "");
  }
}

TEST_F(Sync, OnlyLimitsTheItems) {
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  write_text(lab.cname("primary"), "cname=x.lan,nas.lan\n");
  auto r = lab.run({"--json", "sync", "--only", "cname"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.json()["items"].items().size(), 1u);
  EXPECT_NE(read_text(lab.custom_list("secondary")), "10.0.0.1 remote.lan\n");
  EXPECT_EQ(read_text(lab.cname("secondary")), "cname=x.lan,nas.lan\n");
}

TEST_F(Sync, StatusReportsTheLastRun) {
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  auto st = lab.run({"--json", "status"});
  EXPECT_EQ(st.code, 0);
  const Json doc = st.json();
  EXPECT_EQ(doc["last_run"]["command"].as_string(), "sync");
  EXPECT_EQ(doc["last_run"]["exit_code"].as_int(), 0);
  EXPECT_GT(doc["last_run"]["time"].as_int(), 1700000000);
  const Json* c = item(doc["last_run"], "custom-dns");
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)["action"].as_string(), "pull");
  auto human = lab.run({"status"});
  EXPECT_NE(human.out.find("last run: sync"), std::string::npos) << human.out;
}

TEST_F(Sync, BackupsAreListedAndARestoreIsCarriedToTheOtherNode) {
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'later.example');");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  auto list = lab.run({"--json", "backups"});
  ASSERT_EQ(list.code, 0) << list.err;
  std::string id;
  const Json listed = list.json();
  for (const auto& b : listed.items()) {
    if (b["node"].as_string() == "local" && b["item"].as_string() == "gravity") id = b["id"].as_string();
    EXPECT_GT(b["size"].as_int(), 0);
  }
  ASSERT_FALSE(id.empty()) << list.out;
  lab.clear_calls();
  auto restore = lab.run({"restore", id});
  ASSERT_EQ(restore.code, 0) << restore.out << restore.err;
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist WHERE domain = 'later.example';"), "0\n");
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns reload-lists"});
  // The next sync carries the restored version to the other node.
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(action(r, "gravity"), "push");
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM domainlist WHERE domain = 'later.example';"), "0\n");
  EXPECT_EQ(lab.run({"restore", "local:gravity:19700101T000000000Z"}).code, 2);
}

TEST_F(Sync, ARemoteBackupCanBeRestoredThere) {
  write_text(lab.custom_list("secondary"), "10.0.0.9 pushed.lan\n");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  auto list = lab.run({"--json", "backups"});
  std::string id;
  const Json listed = list.json();
  for (const auto& b : listed.items()) {
    if (b["node"].as_string() == "remote" && b["item"].as_string() == "custom-dns") id = b["id"].as_string();
  }
  ASSERT_FALSE(id.empty()) << list.out;
  auto restore = lab.run({"restore", id});
  ASSERT_EQ(restore.code, 0) << restore.err;
  EXPECT_EQ(read_text(lab.custom_list("primary")), "192.168.1.10 nas.lan\n192.168.1.11 printer.lan printer\n");
}

TEST_F(Sync, ARestoreWhereTheReloadCouldNotRunChangesNothing) {
  write_text(lab.custom_list("secondary"), "10.0.0.9 pushed.lan\n");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  std::string id;
  const Json listed = lab.run({"--json", "backups"}).json();
  for (const auto& b : listed.items()) {
    if (b["node"].as_string() == "remote" && b["item"].as_string() == "custom-dns") id = b["id"].as_string();
  }
  ASSERT_FALSE(id.empty());
  lab.set_node_command("primary", "pihole_command", "/nonexistent/pihole");
  auto restore = lab.run({"restore", id});
  EXPECT_EQ(restore.code, 5) << restore.out << restore.err;
  EXPECT_NE(restore.err.find("/nonexistent/pihole not found there"), std::string::npos) << restore.err;
  EXPECT_EQ(read_text(lab.custom_list("primary")), "10.0.0.9 pushed.lan\n");
}

TEST_F(Sync, AReloadThatFindsFtlNotRunningIsExit8AndKeepsTheNewFile) {
  // `pihole restartdns reload` itself exits 0 when FTL does not run, doing nothing.
  lab.node_command("stop", "secondary");
  write_text(lab.custom_list("primary"), "10.0.0.1 remote.lan\n");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 8) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 remote.lan\n");
  EXPECT_NE(r.err.find("reload FAILED"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pihole-FTL on the local node is not running"), std::string::npos) << r.err;
  const Json doc = r.json();
  EXPECT_EQ(doc["error"]["code"].as_int(), 8);
  EXPECT_EQ((*item(doc, "custom-dns"))["result"].as_string(), "failure");
  // The reload was never sent: no signal for an FTL that is not there.
  EXPECT_TRUE(lab.reloads("secondary").empty());
  // Once FTL runs again it serves the new file.
  lab.node_command("start", "secondary");
  EXPECT_EQ(lab.dig("secondary", "remote.lan"), "NOERROR 10.0.0.1");
}

}  // namespace
}  // namespace gs::test
