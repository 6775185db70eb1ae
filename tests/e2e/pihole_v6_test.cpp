// Issue 5: Pi-hole v6 (values through pihole-FTL --config), mixed v5/v6 pairs, Pi-hole in
// a container, and a non-root remote user with sudo, through the real binary in the lab.
// "primary" is the remote (over sshd), "secondary" this node.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

bool has_call(const std::vector<std::string>& calls, const std::string& prefix) {
  return std::any_of(calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
}

// The files under `dir` (one level of item folders), for backups.
std::vector<std::string> backup_files(const std::string& dir, const std::string& item) {
  auto r = run_process({"sh", "-c", "ls -1 '" + dir + "/" + item + "' 2>/dev/null"}, "", Millis(10'000));
  std::vector<std::string> out;
  std::istringstream in(r ? r->out : "");
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

const std::vector<std::string> kTextItems{"--only", "custom-dns,cname,static-dhcp"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// --- v6 <-> v6 ---------------------------------------------------------------------

class BothV6 : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = lab.run({"sync", "--only", "gravity,custom-dns,cname,static-dhcp"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    lab.clear_calls();
  }
  Lab lab{{"--v6", "primary", "--v6", "secondary"}};
};

TEST_F(BothV6, CheckAndCompareShowVersionsAndValuesCompareAsRecords) {
  auto check = lab.run({"check"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_NE(check.out.find("local: Pi-hole v6 (FTL v6.1), gravity.db schema 20"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("remote: Pi-hole v6 (FTL v6.1), gravity.db schema 20"), std::string::npos) << check.out;
  auto cmp = lab.run({"--json", "compare", "--only", "gravity,custom-dns,cname,static-dhcp"});
  EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
  const Json doc = cmp.json();
  EXPECT_EQ(doc["nodes"]["local"]["pihole"].as_int(), 6);
  EXPECT_EQ(doc["nodes"]["remote"]["gravity_schema"].as_int(), 20);
  EXPECT_EQ(doc["nodes"]["text_form"].as_string(), "records");
  const Json& dns = *item(doc, "custom-dns");
  EXPECT_TRUE(dns["local"]["exists"].as_bool());
  EXPECT_TRUE(dns["local"]["size"].is_null());  // a v6 value is not a file
  EXPECT_TRUE(dns["local"]["mtime"].is_null());
  EXPECT_EQ(dns["local"]["sha256"].as_string().size(), 64u);
  auto text = lab.run({"compare"});
  EXPECT_NE(text.out.find("local: Pi-hole v6 (gravity schema 20); remote: Pi-hole v6"), std::string::npos) << text.out;
}

TEST_F(BothV6, ARemoteHostsChangeIsSetThroughFtlWithoutAnyRestart) {
  const std::string toml_before = read_text(lab.toml("secondary"));
  lab.ftl_set("primary", "dns.hosts", R"(["192.168.1.10 nas.lan", "10.0.0.7 new.lan  alias.lan"])");
  lab.clear_calls();
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& dns = *item(doc, "custom-dns");
  EXPECT_EQ(dns["action"].as_string(), "pull");
  EXPECT_EQ(dns["result"].as_string(), "ok");
  EXPECT_GT(dns["bytes"].as_int(), 0);
  EXPECT_EQ(dns["backup"].as_string().rfind("local:custom-dns:", 0), 0u);
  EXPECT_EQ(lab.ftl_get("secondary", "dns.hosts"), R"([ "192.168.1.10 nas.lan", "10.0.0.7 new.lan alias.lan" ])");
  // Written by FTL only: no `pihole` reload, no restart (dns.hosts does not need one).
  const auto calls = lab.calls("secondary");
  EXPECT_TRUE(has_call(calls, "pihole-FTL --config dns.hosts")) << calls.size();
  EXPECT_TRUE(lab.reloads("secondary").empty());
  EXPECT_FALSE(has_call(calls, "pihole-FTL restarted itself"));
  EXPECT_TRUE(lab.reloads("primary").empty());
  // pihole.toml is FTL's: this node's own settings are still there, the remote's are not.
  const std::string toml_after = read_text(lab.toml("secondary"));
  EXPECT_EQ(toml_after.rfind(toml_before, 0), 0u) << "pihole.toml was rewritten by someone other than FTL";
  EXPECT_NE(toml_after.find("interface = \"eth-secondary\""), std::string::npos);
  EXPECT_EQ(toml_after.find("eth-primary"), std::string::npos);
  // The replaced value is kept as a readable v5 file.
  auto files = backup_files(lab.path("secondary", "backups"), "custom-dns");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_text(lab.path("secondary", "backups/custom-dns/" + files[0])),
            "192.168.1.10 nas.lan\n192.168.1.11 printer.lan printer\n");
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(BothV6, ALocalCnameChangeIsPushedAndGravityReloadsLists) {
  lab.ftl_set("secondary", "dns.cnameRecords", R"(["files.lan,nas.lan", "tv.lan,nas.lan,300"])");
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'v6-pushed.example.com');");
  lab.clear_calls();
  auto r = lab.run({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.ftl_get("primary", "dns.cnameRecords"), R"([ "files.lan,nas.lan", "tv.lan,nas.lan,300" ])");
  EXPECT_EQ(domains(lab.gravity("primary")), domains(lab.gravity("secondary")));
  // Lists: `pihole reloadlists`, once; CNAMEs: FTL restarts itself, gravity-sync adds nothing.
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole reloadlists"});
  EXPECT_TRUE(has_call(lab.calls("primary"), "pihole-FTL restarted itself (dns.cnameRecords changed)"));
  EXPECT_TRUE(lab.reloads("secondary").empty());
  auto files = backup_files(lab.path("primary", "backups"), "cname");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_text(lab.path("primary", "backups/cname/" + files[0])), "cname=files.lan,nas.lan\n");
}

TEST_F(BothV6, AReadOnlyKeyIsRefusedNamingItsVariableAndTheRestGoesAhead) {
  write_text(lab.path("secondary", "ftl-env"), "FTLCONF_dns_hosts=192.168.1.10 nas.lan\n");
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.8 other.lan"])");
  lab.ftl_set("primary", "dns.cnameRecords", R"(["x.lan,nas.lan"])");
  const std::string before = lab.ftl_get("secondary", "dns.hosts");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const Json doc = r.json();
  const Json& dns = *item(doc, "custom-dns");
  EXPECT_NE(dns["result"].as_string(), "ok");
  EXPECT_NE(dns["message"].as_string().find("FTLCONF_dns_hosts"), std::string::npos) << dns["message"].as_string();
  EXPECT_NE(doc["error"]["message"].as_string().find("FTLCONF_dns_hosts"), std::string::npos);
  EXPECT_EQ(lab.ftl_get("secondary", "dns.hosts"), before);
  EXPECT_EQ((*item(doc, "cname"))["result"].as_string(), "ok");
  EXPECT_EQ(lab.ftl_get("secondary", "dns.cnameRecords"), R"([ "x.lan,nas.lan" ])");
}

TEST_F(BothV6, AValueWithAControlCharacterIsRefused) {
  lab.ftl_set("primary", "dns.cnameRecords", "[\"a.lan,nas.lan\\ndhcp-script=/tmp/evil\"]");
  const std::string before = lab.ftl_get("secondary", "dns.cnameRecords");
  auto r = lab.run(with({"sync"}, kTextItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("control character"), std::string::npos) << r.out;
  EXPECT_EQ(lab.ftl_get("secondary", "dns.cnameRecords"), before);
}

TEST_F(BothV6, RestoreOfAValueGoesBackThroughFtl) {
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.9 restored-away.lan"])");
  ASSERT_EQ(lab.run({"pull", "--only", "custom-dns"}).code, 0);
  auto list = lab.run({"--json", "backups"});
  const Json entries = list.json();
  std::string id;
  for (const auto& b : entries.items()) {
    if (b["node"].as_string() == "local" && b["item"].as_string() == "custom-dns") id = b["id"].as_string();
  }
  ASSERT_FALSE(id.empty()) << list.out;
  auto r = lab.run({"restore", id});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.ftl_get("secondary", "dns.hosts"), R"([ "192.168.1.10 nas.lan", "192.168.1.11 printer.lan printer" ])");
}

// --- mixed pairs: upgrading one node at a time --------------------------------------

TEST(MixedPair, V5RemoteAndV6LocalStartInSyncAndRecordsTravelBothWays) {
  Lab lab({"--v6", "secondary"});
  // The same records in a file and in pihole.toml: in sync, in the canonical form.
  auto cmp = lab.run(with({"--json", "compare"}, kTextItems));
  EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
  EXPECT_EQ(cmp.json()["nodes"]["text_form"].as_string(), "records");

  // v5 -> v6: comments and spacing are not carried; the records are.
  write_text(lab.custom_list("primary"), "# the office\n10.0.0.5   pc.lan  # desk\n192.168.1.10 nas.lan\n");
  write_text(lab.cname("primary"), "cname=files.lan,nas.lan\ncname=print.lan,pc.lan\n");
  lab.clear_calls();
  auto pull = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(lab.ftl_get("secondary", "dns.hosts"), R"([ "10.0.0.5 pc.lan", "192.168.1.10 nas.lan" ])");
  EXPECT_EQ(lab.ftl_get("secondary", "dns.cnameRecords"), R"([ "files.lan,nas.lan", "print.lan,pc.lan" ])");
  EXPECT_TRUE(lab.reloads("secondary").empty());

  // v6 -> v5: a static lease set in the v6 web UI lands as a dhcp-host= line.
  lab.ftl_set("secondary", "dhcp.hosts", R"(["aa:bb:cc:dd:ee:ff,192.168.1.50,laptop", "11:22:33:44:55:66,192.168.1.60,tv"])");
  lab.clear_calls();
  auto push = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(read_text(lab.dhcp("primary")),
            "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\ndhcp-host=11:22:33:44:55:66,192.168.1.60,tv\n");
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole restartdns"});
  EXPECT_EQ(lab.run(with({"compare"}, kTextItems)).code, 0);
}

TEST(MixedPair, V6RemoteAndV5LocalCarryRecordsIntoFilesAndBack) {
  Lab lab({"--v6", "primary"});
  lab.ftl_set("primary", "dns.cnameRecords", R"(["files.lan,nas.lan", "brücke.lan,nas.lan,2"])");
  auto pull = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(read_text(lab.cname("secondary")), "cname=files.lan,nas.lan\ncname=brücke.lan,nas.lan,2\n");
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns"});

  write_text(lab.custom_list("secondary"), "192.168.1.10 nas.lan\n10.1.1.1 local-made.lan\n");
  lab.clear_calls();
  auto push = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(lab.ftl_get("primary", "dns.hosts"), R"([ "192.168.1.10 nas.lan", "10.1.1.1 local-made.lan" ])");
  EXPECT_TRUE(lab.reloads("primary").empty());
}

TEST(MixedPair, AHostileV6ValueNeverReachesAV5File) {
  Lab lab({"--v6", "primary"});
  const std::string before = read_text(lab.custom_list("secondary"));
  lab.ftl_set("primary", "dns.hosts", R"(["192.168.1.10 nas.lan", "address=/bank.example/10.6.6.6"])");
  auto r = lab.run({"pull", "--only", "custom-dns"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), before);
  EXPECT_TRUE(lab.reloads("secondary").empty());
}

TEST(MixedPair, GravityOfDifferentSchemasIsNeverSwapped) {
  Lab lab({"--v6", "primary"});
  const std::string before = domains(lab.gravity("secondary"));
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'v6-only.example.com');");
  for (const char* command : {"sync", "pull"}) {
    auto r = lab.run({"--json", command});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    const std::string message = (*item(r.json(), "gravity"))["message"].as_string();
    EXPECT_NE(message.find("update Pi-hole on both nodes"), std::string::npos) << message;
    EXPECT_NE(message.find("Pi-hole v5"), std::string::npos) << message;
  }
  EXPECT_EQ(domains(lab.gravity("secondary")), before);
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT value FROM info WHERE property = 'version';"), "15\n");
}

// --- containers -----------------------------------------------------------------------

TEST(Container, RemoteInDockerSnapshotsInsideTheBindMountAndKeepsTheImagesOwner) {
  Lab lab({"--docker", "primary"});
  // The official image's pihole user; never assumed, always kept.
  ASSERT_EQ(::chown(lab.gravity("primary").c_str(), 999, 999), 0);
  ASSERT_EQ(::chown(lab.custom_list("primary").c_str(), 999, 999), 0);
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'from-container.example.com');");
  auto pull = lab.run({"sync"});
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(domains(lab.gravity("secondary")), domains(lab.gravity("primary")));
  const auto calls = lab.calls("primary");
  // Every program ran in the container, on its own paths.
  EXPECT_TRUE(has_call(calls, "docker exec pihole-primary pihole-FTL sqlite3 -batch -bail -init /dev/null -list -noheader "
                              "/etc/pihole/gravity.db .backup '/etc/pihole/.gravity-sync."));

  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'into-container.example.com');");
  write_text(lab.custom_list("secondary"), "192.168.1.10 nas.lan\n10.2.2.2 pushed.lan\n");
  lab.clear_calls();
  auto push = lab.run({"sync"});
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(domains(lab.gravity("primary")), domains(lab.gravity("secondary")));
  EXPECT_EQ(read_text(lab.custom_list("primary")), "192.168.1.10 nas.lan\n10.2.2.2 pushed.lan\n");
  for (const auto& path : {lab.gravity("primary"), lab.custom_list("primary")}) {
    EXPECT_EQ(stat_file(path)->uid, 999u) << path;
    EXPECT_EQ(stat_file(path)->gid, 999u) << path;
  }
  EXPECT_EQ(lab.reloads("primary"), std::vector<std::string>{"pihole restartdns reload"});
  EXPECT_TRUE(has_call(lab.calls("primary"), "docker exec pihole-primary pihole restartdns reload"));
  // The snapshot for the backup was taken in the container too, and kept on the host.
  EXPECT_EQ(backup_files(lab.path("primary", "backups"), "gravity").size(), 1u);
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST(Container, LocalV6InPodmanSetsValuesThroughTheContainer) {
  Lab lab({"--v6", "primary", "--v6", "secondary", "--podman", "secondary"});
  const auto env = lab.container_env();
  auto check = lab.run({"check"}, env);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  lab.ftl_set("primary", "dns.hosts", R"(["10.3.3.3 through-podman.lan"])");
  lab.clear_calls();
  auto r = lab.run(with({"sync"}, kTextItems), env);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.ftl_get("secondary", "dns.hosts"), R"([ "10.3.3.3 through-podman.lan" ])");
  EXPECT_TRUE(has_call(lab.calls("secondary"), "podman exec pihole-secondary pihole-FTL --config dns.hosts [\"10.3.3.3"));
}

TEST(Container, CheckSaysWhenTheContainerIsNotThere) {
  Lab lab({"--docker", "primary"});
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("container: docker:pihole-primary"), 32, "container: docker:pihole-stopped");
  lab.set_config(yaml);
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("cannot run pihole-FTL in container docker:pihole-stopped"), std::string::npos)
      << r.out << r.err;
}

// --- a non-root remote user with sudo ----------------------------------------------

class SudoUser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the sudo lab creates system users: run as root (CI does)";
    lab = std::make_unique<Lab>(std::vector<std::string>{"--sudo"});
  }
  std::unique_ptr<Lab> lab;
};

TEST_F(SudoUser, SyncsBothWaysAsRootThroughSudoKeepingOwnerAndMode) {
  ASSERT_NE(lab->config_text().find("user: gs-lab"), std::string::npos);
  ASSERT_EQ(::chown(lab->gravity("primary").c_str(), 999, 999), 0);
  ASSERT_EQ(::chmod(lab->gravity("primary").c_str(), 0640), 0);
  // Files the SSH user itself cannot write.
  ASSERT_EQ(::chmod(lab->custom_list("primary").c_str(), 0600), 0);
  auto first = lab->run({"sync"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;

  sqlite(lab->gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'by-sudo.example.com');");
  write_text(lab->custom_list("secondary"), "192.168.1.10 nas.lan\n10.4.4.4 by-sudo.lan\n");
  auto push = lab->run({"--json", "push"});
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(domains(lab->gravity("primary")), domains(lab->gravity("secondary")));
  EXPECT_EQ(read_text(lab->custom_list("primary")), "192.168.1.10 nas.lan\n10.4.4.4 by-sudo.lan\n");
  EXPECT_EQ(stat_file(lab->gravity("primary"))->uid, 999u);
  EXPECT_EQ(stat_file(lab->gravity("primary"))->mode & 0777, 0640u);
  EXPECT_EQ(stat_file(lab->custom_list("primary"))->mode & 0777, 0600u);
  EXPECT_EQ((*item(push.json(), "gravity"))["backup"].as_string().rfind("remote:gravity:", 0), 0u);

  sqlite(lab->gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'pulled-by-sudo.example.com');");
  auto pull = lab->run({"sync"});
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(domains(lab->gravity("secondary")), domains(lab->gravity("primary")));
  EXPECT_EQ(lab->run({"backups"}).code, 0);
}

TEST_F(SudoUser, SudoAskingForAPasswordIsExit3NamingTheSudoersLine) {
  std::string yaml = lab->config_text();
  yaml.replace(yaml.find("user: gs-lab"), 12, "user: gs-lab-nopw");
  lab->set_config(yaml);
  const std::string before = read_text(lab->custom_list("secondary"));
  for (const char* command : {"compare", "sync", "check"}) {
    auto r = lab->run({command});
    EXPECT_EQ(r.code, 3) << command << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("gs-lab-nopw ALL=(root) NOPASSWD: /bin/sh"), std::string::npos) << r.err;
  }
  auto j = lab->run({"--json", "sync"});
  EXPECT_EQ(j.json()["error"]["code"].as_int(), 3);
  EXPECT_EQ(read_text(lab->custom_list("secondary")), before);
}

}  // namespace
}  // namespace gs::test
