// The settings item (Pi-hole v6): pihole.toml keys, each compared, synced, backed up and
// reported on its own, through the real binary against two real FTL v6.4.1 nodes
// ("primary" the remote over sshd, "secondary" this node). What a user sees is asserted
// by DNS (`node dig`), by `pihole-FTL --config KEY`, and by FTL.log's own restart lines.
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace gs::test {
namespace {

// The keys these tests sync: restart keys (FTL flags FLAG_RESTART_FTL) and one applied in place.
const char* const kSettings = "settings: [dns.upstreams, dns.dnssec, dns.domainNeeded, dns.bogusPriv, dns.blockTTL]";
// More keys that restart FTL.
const char* const kManySettings =
    "settings: [dns.upstreams, dns.dnssec, dns.domainNeeded, dns.bogusPriv, dns.blockTTL, dns.expandHosts, "
    "dns.queryLogging, dns.cache.size]";

class Settings : public ::testing::Test {
 protected:
  void SetUp() override {
    lab.set_sync_option("items: [settings]");
    lab.set_sync_option(kSettings);
    auto r = lab.run({"sync"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }

  // FTL's value of `key` on `node` as `pihole-FTL --config KEY` prints it.
  std::string get(const std::string& node, const std::string& key) const {
    std::string v = lab.ftl_get(node, key);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    return v;
  }

  // The DNS port of `node` (its node.env, written by the kit).
  std::string dns_port(const std::string& node) const {
    const std::string env = read_text(lab.path(node, "node.env"));
    const auto at = env.find("\nDNS_PORT=") + 10;
    std::string port = env.substr(at, env.find_first_of(" \n", at) - at);
    if (!port.empty() && port.front() == '\'') port = port.substr(1, port.size() - 2);
    return port;
  }

  Lab lab{{"--v6", "primary", "--v6", "secondary"}};
};

// The upstream servers changed on the primary reach this node, and this node's FTL then
// forwards through them: a name only the primary knows resolves here. The upstream is the
// primary itself, which answers that name from its own dns.hosts (.corp: a zone the lab's
// nodes forward; FTL answers .test itself).
TEST_F(Settings, AChangedUpstreamListReachesThisNodeAndAnswersThroughIt) {
  lab.ftl_set("primary", "dns.hosts", R"(["10.7.7.7 nas.upstream.corp"])");
  EXPECT_EQ(lab.dig("secondary", "nas.upstream.corp"), "TIMEOUT");  // its upstream is the lab's dead one
  const std::string upstream = "127.0.0.1#" + dns_port("primary");
  lab.ftl_set("primary", "dns.upstreams", "[\"" + upstream + "\"]");

  auto cmp = lab.run({"--json", "compare"});
  EXPECT_EQ(cmp.code, 1) << cmp.out << cmp.err;
  const Json doc = cmp.json();
  const Json* up = item(doc, "settings.dns.upstreams");
  ASSERT_NE(up, nullptr) << cmp.out;
  EXPECT_EQ((*up)["key"].as_string(), "dns.upstreams");
  EXPECT_EQ((*up)["action"].as_string(), "pull");
  EXPECT_EQ((*item(doc, "settings.dns.dnssec"))["action"].as_string(), "none");  // each key on its own

  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("settings.dns.upstreams"), std::string::npos) << r.out;
  EXPECT_EQ(get("secondary", "dns.upstreams"), "[ " + upstream + " ]");
  EXPECT_EQ(lab.dig_until("secondary", "nas.upstream.corp", "NOERROR 10.7.7.7"), "NOERROR 10.7.7.7");
  // Nothing else moved: this node's own keys are untouched.
  EXPECT_EQ(get("secondary", "dns.port"), dns_port("secondary"));
  auto again = lab.run({"compare"});
  EXPECT_EQ(again.code, 0) << again.out << again.err;
}

// Several keys changed at once make FTL restart once on the node that receives them, in
// either direction (a push sets the remote's in one exec: one round trip each would outlast
// FTL's shutdown), and the one that FTL applies in place is set in the same sync. FTL's
// restart is a re-exec: the PID stays (pihole-real/README.md), so restarts are counted in
// FTL.log. The node that sent them does not restart.
TEST_F(Settings, SeveralKeysChangedAtOnceRestartFtlOnce) {
  lab.set_sync_option(kManySettings);
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  struct Case {
    const char* sender;
    const char* receiver;
    const char* ttl;
    bool flag;
  };
  for (const Case& c : {Case{"primary", "secondary", "7", true}, Case{"secondary", "primary", "8", false}}) {
    SCOPED_TRACE(std::string("to the ") + c.receiver);
    const int pid = lab.ftl_pid(c.receiver);
    ASSERT_GT(pid, 0);
    const int restarts = lab.ftl_self_restarts(c.receiver);
    const std::string flag = c.flag ? "true" : "false";
    // Set on the sender with its FTL stopped (pihole-FTL --config still writes pihole.toml):
    // seven restarts in a row there made FTL's own test of its next set fail under load.
    lab.node_command("stop", c.sender);
    const std::string upstreams = c.flag ? R"(["127.0.0.1#5399", "127.0.0.2#5399"])" : R"(["127.0.0.3#5399"])";
    lab.ftl_set(c.sender, "dns.upstreams", upstreams);
    for (const char* key : {"dns.dnssec", "dns.domainNeeded", "dns.expandHosts", "dns.queryLogging"}) {
      lab.ftl_set(c.sender, key, key == std::string("dns.queryLogging") ? (c.flag ? "false" : "true") : flag);
    }
    lab.ftl_set(c.sender, "dns.bogusPriv", c.flag ? "false" : "true");
    lab.ftl_set(c.sender, "dns.cache.size", c.flag ? "20000" : "30000");
    lab.ftl_set(c.sender, "dns.blockTTL", c.ttl);
    lab.node_command("start", c.sender);
    // The sender's own restarts for these sets are over: no new one for 3 s.
    int sender_before = lab.ftl_self_restarts(c.sender);
    for (int settled = 0; settled < 6;) {
      std::this_thread::sleep_for(Millis(500));
      const int now = lab.ftl_self_restarts(c.sender);
      settled = now == sender_before ? settled + 1 : 0;
      sender_before = now;
    }
    auto r = lab.run({"sync"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    for (const char* key : {"dns.upstreams", "dns.dnssec", "dns.domainNeeded", "dns.expandHosts", "dns.queryLogging",
                            "dns.bogusPriv", "dns.cache.size", "dns.blockTTL"}) {
      EXPECT_EQ(get(c.receiver, key), get(c.sender, key)) << key;
    }
    EXPECT_EQ(get(c.receiver, "dns.blockTTL"), c.ttl);
    EXPECT_EQ(lab.ftl_self_restarts(c.receiver) - restarts, 1) << read_text(lab.path(c.receiver, "log/FTL.log"));
    EXPECT_EQ(lab.ftl_pid(c.receiver), pid);
    EXPECT_EQ(lab.ftl_self_restarts(c.sender), sender_before);
    EXPECT_EQ(lab.dig_until(c.receiver, "pi.hole", "NOERROR 127.0.0.1").rfind("NOERROR", 0), 0u);
    EXPECT_EQ(lab.run({"compare"}).code, 0);
  }
}

// One key changed on both nodes is a conflict of its own; the policy decides it, and a key
// changed on one node only moves as usual in the same run.
TEST_F(Settings, AConflictIsPerKey) {
  lab.set_sync_option("conflict: skip");
  lab.ftl_set("primary", "dns.blockTTL", "5");
  lab.ftl_set("secondary", "dns.blockTTL", "6");
  lab.ftl_set("primary", "dns.dnssec", "true");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_EQ((*item(doc, "settings.dns.blockTTL"))["action"].as_string(), "conflict");
  EXPECT_EQ((*item(doc, "settings.dns.dnssec"))["result"].as_string(), "ok");
  EXPECT_EQ(get("secondary", "dns.dnssec"), "true");
  EXPECT_EQ(get("secondary", "dns.blockTTL"), "6");
  EXPECT_EQ(get("primary", "dns.blockTTL"), "5");
  // Policy local resolves it this node's way.
  lab.set_sync_option("conflict: local");
  auto local = lab.run({"sync"});
  EXPECT_EQ(local.code, 0) << local.out << local.err;
  EXPECT_EQ(get("primary", "dns.blockTTL"), "6");
}

// A key an FTLCONF_ variable sets on a node is skipped for that node with a warning naming
// the variable, in the run's output, its JSON and `status`; the other keys still sync.
// Both ways FTL shows it: the `### CHANGED (env)` mark FTL writes into pihole.toml after a
// restart, and `pihole-FTL --config KEY VALUE` exiting 5 when the variable is set but FTL
// has not restarted since (the kit gives every command in the node the variables).
TEST_F(Settings, AKeySetByAnFtlconfVariableIsSkippedForThatNode) {
  for (bool restarted : {true, false}) {
    SCOPED_TRACE(restarted ? "marked in pihole.toml" : "refused by pihole-FTL --config (exit 5)");
    write_text(lab.path("secondary", "ftlconf.env"), "FTLCONF_dns_blockTTL=9\n");
    if (restarted) lab.node_command("restart", "secondary");
    lab.ftl_set("primary", "dns.blockTTL", restarted ? "4" : "3");
    lab.ftl_set("primary", "dns.dnssec", restarted ? "true" : "false");
    auto r = lab.run({"--json", "sync"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    const Json doc = r.json();
    const Json& ttl = *item(doc, "settings.dns.blockTTL");
    EXPECT_EQ(ttl["result"].as_string(), "skipped");
    EXPECT_NE(ttl["message"].as_string().find("FTLCONF_dns_blockTTL"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("FTLCONF_dns_blockTTL"), std::string::npos) << r.err;
    if (restarted) {
      EXPECT_EQ(ttl["local"]["set_by_env"].as_string(), "FTLCONF_dns_blockTTL");
    }
    EXPECT_EQ((*item(doc, "settings.dns.dnssec"))["result"].as_string(), "ok");
    EXPECT_EQ(get("secondary", "dns.dnssec"), restarted ? "true" : "false");
    EXPECT_EQ(get("secondary", "dns.blockTTL"), "9");
    auto status = lab.run({"status"});
    EXPECT_NE(status.out.find("FTLCONF_dns_blockTTL"), std::string::npos) << status.out;
    write_text(lab.path("secondary", "ftlconf.env"), "");
    lab.node_command("restart", "secondary");
  }
}

// When the FTLCONF_ variable is removed, FTL puts its default there; that is no admin's
// change, and is never carried over the other node's value: the other node's value comes
// back instead (found by an attack: upstreams wiped on both nodes).
TEST_F(Settings, AKeyFreedFromItsFtlconfVariableTakesThePeersValueBack) {
  lab.ftl_set("primary", "dns.blockTTL", "11");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  ASSERT_EQ(get("secondary", "dns.blockTTL"), "11");
  write_text(lab.path("secondary", "ftlconf.env"), "FTLCONF_dns_blockTTL=9\n");
  lab.node_command("restart", "secondary");
  auto locked = lab.run({"sync"});
  EXPECT_EQ(locked.code, 0) << locked.out << locked.err;
  write_text(lab.path("secondary", "ftlconf.env"), "");
  lab.node_command("restart", "secondary");
  ASSERT_EQ(get("secondary", "dns.blockTTL"), "2");  // FTL's default
  lab.set_sync_option("conflict: local");            // whatever the policy says
  auto freed = lab.run({"sync"});
  EXPECT_EQ(freed.code, 0) << freed.out << freed.err;
  EXPECT_NE(freed.out.find("variable that set it on the local node is gone"), std::string::npos) << freed.out;
  EXPECT_EQ(get("primary", "dns.blockTTL"), "11");
  EXPECT_EQ(get("secondary", "dns.blockTTL"), "11");
}

// A value FTL would store wrapped around (-1 as 4294967295, which stopped DNS at the next
// restart), or a non-ASCII name dnsmasq refuses in the C locale FTL runs in, never reaches
// the other node: refused (exit 5) at the sender or by the receiver's FTL, naming the key,
// and the receiver keeps answering. The sender's pihole.toml is edited with its FTL stopped,
// as the pihole user could; gravity-sync runs from a UTF-8 shell.
TEST_F(Settings, AValueTheReceiverCouldNotRunWithIsRefused) {
  lab.set_sync_option("settings: [dns.blockTTL, dns.hostRecord]");
  struct Case {
    const char* key;
    const char* line;  // in pihole.toml, under [dns]
    const char* said;
  };
  const Case cases[] = {
      {"dns.blockTTL", "  blockTTL = -1\n", "is -1, outside what FTL holds there (0 to 4294967295)"},
      {"dns.hostRecord", "  hostRecord = \"br\u00fccke.lan,10.1.1.2\"\n", "dns.hostRecord"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    const std::string before = get("secondary", c.key);
    lab.node_command("stop", "primary");
    const std::string original = read_text(lab.toml("primary"));
    std::string toml = original;
    toml.insert(toml.find("[dns]\n") + 6, c.line);
    const std::string key_name = std::string(c.key).substr(4);
    // FTL writes every key: drop its own line of that key, so the inserted one is the only one.
    size_t at = toml.find("\n  " + key_name + " = ", toml.find(c.line) + std::strlen(c.line));
    if (at != std::string::npos) toml.erase(at, toml.find('\n', at + 1) - at);
    write_text(lab.toml("primary"), toml);
    auto r = lab.run({"sync", "--only", std::string("settings.") + c.key}, {{"LANG", "C.UTF-8"}, {"LC_ALL", "C.UTF-8"}});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find(c.said), std::string::npos) << r.out << r.err;
    EXPECT_EQ(get("secondary", c.key), before);
    EXPECT_EQ(lab.dig("secondary", "pi.hole").rfind("NOERROR", 0), 0u);
    write_text(lab.toml("primary"), original);
    lab.node_command("start", "primary");
  }
}

// A node reinstalled (fresh: nothing in its gravity.db beyond a new install) holds FTL's
// defaults; a default of a fresh node never replaces the other node's value: exit 5 naming
// the key, unless --force (found by an attack: a fresh node's empty dns.upstreams left the
// other without upstream servers).
TEST_F(Settings, AFreshNodesDefaultNeverReplacesTheOthersValue) {
  lab.ftl_set("primary", "dns.blockTTL", "30");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  ASSERT_EQ(get("secondary", "dns.blockTTL"), "30");
  // As a new install: the lab's domains, clients, groups and adlists gone.
  sqlite(lab.gravity("primary"),
         "DELETE FROM domainlist; DELETE FROM client; DELETE FROM \"group\" WHERE id <> 0; DELETE FROM adlist;");
  lab.ftl_set("primary", "dns.blockTTL", "2");                              // FTL's default
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("settings.dns.blockTTL is FTL's default, which would replace the local node's value"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(get("secondary", "dns.blockTTL"), "30");
  // A value that is not the default is an admin's choice, fresh node or not.
  lab.ftl_set("primary", "dns.dnssec", "true");
  auto chosen = lab.run({"sync", "--only", "settings.dns.dnssec"});
  EXPECT_EQ(chosen.code, 0) << chosen.out << chosen.err;
  EXPECT_EQ(get("secondary", "dns.dnssec"), "true");
  auto forced = lab.run({"sync", "--force"});
  EXPECT_EQ(forced.code, 0) << forced.out << forced.err;
  EXPECT_EQ(get("secondary", "dns.blockTTL"), "2");
}

// A value set where FTL does not run is in place, but not served: the run fails (exit 8),
// and that node owes a reload until its FTL runs again, as after a gravity swap (found by an
// attack: FTL crashed in the restart a sync made, and every run said ok).
TEST_F(Settings, AValueSetWhereFtlDoesNotRunIsOwedUntilFtlRuns) {
  lab.node_command("stop", "secondary");
  lab.ftl_set("primary", "dns.blockTTL", "12");
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 8) << r.out << r.err;
  EXPECT_NE(r.out.find("set and in place, but pihole-FTL is not running there"), std::string::npos) << r.out;
  EXPECT_NE(read_text(lab.toml("secondary")).find("blockTTL = 12"), std::string::npos);
  auto owed = lab.run({"sync"});
  EXPECT_EQ(owed.code, 8) << owed.out << owed.err;
  auto status = lab.run({"status"});
  EXPECT_NE(status.out.find("pending: the local node's reload (dns) for settings.dns.blockTTL"), std::string::npos)
      << status.out;
  lab.node_command("start", "secondary");
  auto ran = lab.run({"sync"});
  EXPECT_EQ(ran.code, 0) << ran.out << ran.err;
  EXPECT_EQ(get("secondary", "dns.blockTTL"), "12");
}

// What a sync replaced is kept per key and can be put back; the next sync carries it on.
TEST_F(Settings, BackupsAndRestoreWorkPerKey) {
  lab.ftl_set("primary", "dns.upstreams", R"(["127.0.0.3#5399"])");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  auto list = lab.run({"--json", "backups"});
  ASSERT_EQ(list.code, 0) << list.out << list.err;
  std::string id;
  const Json backups = list.json();
  for (const auto& b : backups.items()) {
    if (b["item"].as_string() == "settings.dns.upstreams" && b["node"].as_string() == "local") id = b["id"].as_string();
  }
  ASSERT_FALSE(id.empty()) << list.out;
  auto restored = lab.run({"restore", id});
  EXPECT_EQ(restored.code, 0) << restored.out << restored.err;
  EXPECT_EQ(get("secondary", "dns.upstreams"), "[ 127.0.0.1#5399 ]");
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(get("primary", "dns.upstreams"), "[ 127.0.0.1#5399 ]");
}

// Keys of one node are refused in the config and on the command line, naming why and the
// way to sync them anyway; listed under sync.settings_unsafe they sync.
TEST_F(Settings, AKeyOfOneNodeIsRefusedUnlessUnsafe) {
  lab.set_sync_option("settings: [dns.upstreams, dns.interface]");
  auto r = lab.run({"compare"});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("sync.settings: dns.interface is refused: it belongs to one node: the interface this node's "
                       "DNS listens on. To sync it anyway, list it under sync.settings_unsafe"),
            std::string::npos)
      << r.err;
  lab.set_sync_option(kSettings);
  auto only = lab.run({"sync", "--only", "settings.dns.interface"});
  EXPECT_EQ(only.code, 2) << only.out << only.err;
  EXPECT_NE(only.err.find("--only: dns.interface is refused"), std::string::npos) << only.err;
  lab.set_sync_option("settings_unsafe: [debug.queries]");
  lab.ftl_set("primary", "debug.queries", "true");
  auto unsafe = lab.run({"sync"});
  EXPECT_EQ(unsafe.code, 0) << unsafe.out << unsafe.err;
  EXPECT_EQ(get("secondary", "debug.queries"), "true");
}

// With a node of Pi-hole v5 the settings are skipped, and say why; the other items sync.
TEST(SettingsMixed, AreSkippedWithAV5Node) {
  Lab lab{{"--v6", "primary"}};
  lab.set_sync_option("items: [custom-dns, settings]");
  lab.set_sync_option("settings: [dns.upstreams]");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& up = *item(doc, "settings.dns.upstreams");
  EXPECT_EQ(up["result"].as_string(), "skipped");
  EXPECT_EQ(up["message"].as_string(), "settings are Pi-hole v6 only, and the local node runs v5");
  EXPECT_EQ((*item(doc, "custom-dns"))["result"].as_string(), "ok");
}

// A pihole.toml left in /etc/pihole of a v5 node (the pihole user can write one) does not
// make it a v6 node: its pihole-FTL says v5. Taken for v6, its records were read from that
// file (none) and pushed over the other node's (found by an attack).
TEST(SettingsMixed, AStrayPiholeTomlOnAV5NodeDoesNotMakeItV6) {
  Lab lab{{"--v6", "primary"}};
  lab.set_sync_option("items: [custom-dns, settings]");
  lab.set_sync_option("settings: [dns.upstreams]");
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.5 kept.lan"])");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  write_text(lab.toml("secondary"), "# left over\n");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_EQ(doc["nodes"]["local"]["pihole"].as_int(), 5);
  EXPECT_EQ((*item(doc, "custom-dns"))["action"].as_string(), "none");
  EXPECT_EQ((*item(doc, "settings.dns.upstreams"))["result"].as_string(), "skipped");
  EXPECT_EQ(*lab.ftl_values("primary", "dns.hosts"), std::vector<std::string>{"10.0.0.5 kept.lan"});
  auto check = lab.run({"check"});
  EXPECT_NE(check.out.find("local: Pi-hole v5"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace gs::test
