// Pi-hole v6 (values through pihole-FTL --config), mixed v5/v6 pairs, Pi-hole in a
// container, and a non-root remote user with sudo, through the real binary against real
// Pi-hole nodes (FTL v6.4.1 / v5.25.2). "primary" is the remote (over sshd), "secondary"
// this node. What a user sees is asserted by DNS (`node dig`) and by FTL's own API.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

using Strings = std::vector<std::string>;

bool has_call(const Strings& calls, const std::string& prefix) {
  return std::any_of(calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
}

// The position of the first call starting with `prefix`, or -1.
long call_index(const Strings& calls, const std::string& prefix) {
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].rfind(prefix, 0) == 0) return static_cast<long>(i);
  }
  return -1;
}

// The files under `dir` (one level of item folders), for backups.
// Replace `from` by `to` in the file at `path` (a hand edit, as the pihole user could make).
void edit(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = read_text(path);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  text.replace(at, from.size(), to);
  write_text(path, text);
}

bool logged(const Lab& lab, const std::string& node, const std::string& what) {
  return read_text(lab.path(node, "log/FTL.log")).find(what) != std::string::npos;
}

// Wait up to `limit` for `pred`.
template <typename Pred>
bool eventually(Pred pred, Millis limit = Millis(10'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(100));
  }
  return true;
}

const Strings kTextItems{"--only", "custom-dns,cname,static-dhcp"};
const Strings kAllItems{"--only", "gravity,custom-dns,cname,static-dhcp"};

Strings with(Strings args, const Strings& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// --- v6 <-> v6 ---------------------------------------------------------------------

class BothV6 : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = lab.run(with({"sync"}, kAllItems));
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    lab.clear_calls();
  }
  Lab lab{{"--v6", "primary", "--v6", "secondary"}};
};

// A v6 value edited on the receiving node while a run is on its way (the web interface,
// the API, `pihole-FTL --config`) is never replaced by that run: refused with exit 5,
// "changed after this run read it", the edit left in place, and the next run compares it
// again. The edit lands at a fixed point: the remote shell makes it just before the
// run's next read of pihole.toml there (the sender's value in a pull, the receiver's own
// in a push), after both nodes were inspected.
TEST_F(BothV6, AValueEditedWhileARunIsOnItsWayIsNeverReplaced) {
  struct Case {
    const char* command;
    const char* item;
    const char* key;
    const char* receiver;
    std::string sent;    // the sender's new value
    std::string edit;    // what lands on the receiver meanwhile
    std::string edited;  // one entry of it, as FTL holds it
  };
  const Case cases[] = {
      {"pull", "custom-dns", "dns.hosts", "secondary", R"(["10.1.1.1 from-primary.lan"])",
       R"(["10.9.9.9 edited-here.lan"])", "10.9.9.9 edited-here.lan"},
      {"push", "custom-dns", "dns.hosts", "primary", R"(["10.1.1.2 from-secondary.lan"])",
       R"(["10.9.9.8 edited-there.lan"])", "10.9.9.8 edited-there.lan"},
      {"pull", "cname", "dns.cnameRecords", "secondary", R"(["www.from-primary.lan,nas.lan"])",
       R"(["www.edited-here.lan,nas.lan"])", "www.edited-here.lan,nas.lan"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.command) + " " + c.item);
    const std::string sender = std::string(c.receiver) == "primary" ? "secondary" : "primary";
    lab.ftl_set(sender, c.key, c.sent);
    const std::string armed = lab.dir() + "/edit-armed";
    write_text(armed, "");
    lab.set_remote_shell("#!/bin/sh\ncase \"$SSH_ORIGINAL_COMMAND\" in\n  *'# Verb read_toml:'*)\n    if [ -f " +
                         armed + " ]; then rm -f " + armed + "; " + lab.path(c.receiver, "bin/pihole-FTL") +
                         " --config " + c.key + " '" + c.edit +
                         "' >/dev/null 2>&1; fi ;;\nesac\nexec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n");
    auto r = lab.run({c.command, "--only", c.item});
    lab.set_remote_shell("");
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    // Named once: node, item, the value.
    const std::string said = std::string(std::string(c.receiver) == "primary" ? "remote " : "local ") + c.item + ": " +
                             c.key + " changed after this run read it";
    EXPECT_NE((r.out + r.err).find(said), std::string::npos) << r.out << r.err;
    EXPECT_FALSE(stat_file(armed)->exists) << "the edit was never made";
    auto held = lab.ftl_values_until(c.receiver, c.key, {c.edited});
    EXPECT_EQ(held, std::vector<std::string>{c.edited}) << "the edit was replaced";
    // The next run compares again: both changed since the last sync, policy remote.
    auto again = lab.run({"sync", "--only", c.item});
    EXPECT_NE(again.code, 5) << again.out << again.err;
  }
}

TEST_F(BothV6, CheckAndCompareShowVersionsAndValuesCompareAsRecords) {
  auto check = lab.run({"check"});
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("local: Pi-hole v6 (FTL v6.4.1), gravity.db schema 20"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("remote: Pi-hole v6 (FTL v6.4.1), gravity.db schema 20"), std::string::npos) << check.out;
  auto cmp = lab.run(with({"--json", "compare"}, kAllItems));
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

TEST_F(BothV6, CheckFailsNamingAKeySyncCannotRead) {
  // The pihole user can write pihole.toml; FTL stopped, so it stays as written.
  lab.node_command("stop", "secondary");
  edit(lab.toml("secondary"), "\"192.168.1.10 nas.lan\",", "42,");
  auto check = lab.run({"check"});
  EXPECT_EQ(check.code, 5) << check.out << check.err;
  EXPECT_NE(check.out.find("dns.hosts cannot be read"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("dns.hosts[0] is not a string"), std::string::npos) << check.out;
  EXPECT_EQ(check.out.find("check: OK"), std::string::npos);
  auto sync = lab.run({"sync", "--only", "custom-dns"});
  EXPECT_EQ(sync.code, 5) << sync.out << sync.err;
}

TEST_F(BothV6, ARemoteHostsChangeIsServedHereWithoutAnyRestart) {
  EXPECT_EQ(lab.dig("secondary", "alias.lan"), "NXDOMAIN");
  const int pid = lab.ftl_pid("secondary");
  const int restarts = lab.ftl_self_restarts("secondary");
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
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", {"192.168.1.10 nas.lan", "10.0.0.7 new.lan alias.lan"}),
            (Strings{"192.168.1.10 nas.lan", "10.0.0.7 new.lan alias.lan"}));
  EXPECT_EQ(lab.dig_until("secondary", "alias.lan", "NOERROR 10.0.0.7"), "NOERROR 10.0.0.7");
  // Written by FTL only: no `pihole` reload, no restart (dns.hosts does not need one).
  EXPECT_TRUE(has_call(lab.calls("secondary"), "pihole-FTL --config dns.hosts"));
  EXPECT_TRUE(lab.reloads("secondary").empty());
  EXPECT_TRUE(lab.reloads("primary").empty());
  EXPECT_EQ(lab.ftl_pid("secondary"), pid);
  EXPECT_EQ(lab.ftl_self_restarts("secondary"), restarts);
  // pihole.toml is FTL's: this node's own settings are still there, the remote's are not.
  const std::string toml = read_text(lab.toml("secondary"));
  EXPECT_NE(toml.find("interface = \"eth-secondary\""), std::string::npos);
  EXPECT_EQ(toml.find("eth-primary"), std::string::npos);
  // The replaced value is kept as a readable v5 file.
  auto files = list_dir(lab.path("secondary", "backups/custom-dns"));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_text(lab.path("secondary", "backups/custom-dns/" + files[0])),
            "192.168.1.10 nas.lan\n192.168.1.11 printer.lan printer\n");
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(BothV6, ACnameAndAGravityChangeInOneRunLeaveFtlAliveAndAnswering) {
  // Asked before: the cached verdict only changes when the lists are reloaded.
  EXPECT_EQ(lab.dig("primary", "v6-pushed.example"), "NXDOMAIN");
  EXPECT_EQ(lab.dig("primary", "tv.lan"), "NXDOMAIN");
  const int pid = lab.ftl_pid("primary");
  const int restarts = lab.ftl_self_restarts("primary");
  lab.ftl_set("secondary", "dns.cnameRecords", R"(["files.lan,nas.lan", "tv.lan,nas.lan,300"])");
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'v6-pushed.example');");
  lab.clear_calls();
  auto r = lab.run({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.dig_until("primary", "v6-pushed.example", "NOERROR 0.0.0.0"), "NOERROR 0.0.0.0");
  EXPECT_EQ(lab.dig_until("primary", "tv.lan", "NOERROR nas.lan. 192.168.1.10"), "NOERROR nas.lan. 192.168.1.10");
  EXPECT_EQ(domains(lab.gravity("primary")), domains(lab.gravity("secondary")));
  // The list reload went first, then the CNAME that makes FTL restart itself: never a
  // signal to a starting FTL. FTL kept its PID and restarted itself once, for the CNAME.
  const Strings calls = lab.calls("primary");
  EXPECT_EQ(lab.reloads("primary"), Strings{"pihole reloadlists"});
  EXPECT_LT(call_index(calls, "pihole reloadlists"), call_index(calls, "pihole-FTL --config dns.cnameRecords"));
  EXPECT_TRUE(eventually([&] { return lab.ftl_self_restarts("primary") == restarts + 1; }));
  EXPECT_EQ(lab.ftl_pid("primary"), pid);
  EXPECT_EQ(lab.dig("primary", "nas.lan"), "NOERROR 192.168.1.10");
  EXPECT_TRUE(lab.reloads("secondary").empty());
  // The replaced gravity.db stayed linked until FTL reopened the new one.
  EXPECT_FALSE(logged(lab, "primary", "unlinked while open"));
  auto files = list_dir(lab.path("primary", "backups/cname"));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_text(lab.path("primary", "backups/cname/" + files[0])), "cname=files.lan,nas.lan\n");
}

TEST_F(BothV6, AGravitySyncNeverRestartsFtl) {
  const int pid = lab.ftl_pid("secondary");
  const int restarts = lab.ftl_self_restarts("secondary");
  EXPECT_EQ(lab.dig("secondary", "blocked-now.example"), "NXDOMAIN");
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'blocked-now.example');");
  auto r = lab.run({"sync", "--only", "gravity"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.dig_until("secondary", "blocked-now.example", "NOERROR 0.0.0.0"), "NOERROR 0.0.0.0");
  EXPECT_EQ(lab.reloads("secondary"), Strings{"pihole reloadlists"});
  std::this_thread::sleep_for(Millis(1500));  // FTL would have restarted by now
  EXPECT_EQ(lab.ftl_pid("secondary"), pid);
  EXPECT_EQ(lab.ftl_self_restarts("secondary"), restarts);
  EXPECT_FALSE(logged(lab, "secondary", "unlinked while open"));
  // No replaced copy is left behind beside the live file.
  auto r2 = run_process({"sh", "-c", "ls -a '" + lab.pihole_dir("secondary") + "' | grep -c '^.gravity-sync' || true"}, "",
                        Millis(10'000));
  EXPECT_EQ(r2->out, "0\n");
}

TEST_F(BothV6, AGravityRebuildByPiholeItselfIsNotAChange) {
  // v6's gravity.sh: a new database from the template, gravity_copy.sql, ANALYZE
  // (sqlite_stat1), the old one kept in gravity_backups/.
  for (const char* node : {"primary", "secondary"}) lab.node_exec(node, {"pihole", "-g"});
  auto cmp = lab.run(with({"compare"}, kAllItems));
  EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
  EXPECT_EQ(lab.run({"check"}).code, 0);
}

// A value an FTLCONF_ variable sets on a node (read-only to `pihole-FTL --config` there) is
// skipped for that node, naming the variable; the other items go ahead, and the run
// succeeds (the settings item does the same per key: settings_test.cpp).
TEST_F(BothV6, AValueSetByAnFtlconfVariableIsSkippedNamingItAndTheRestGoesAhead) {
  write_text(lab.path("secondary", "ftlconf.env"), "FTLCONF_dns_hosts=192.168.1.10 nas.lan\n");
  lab.node_command("restart", "secondary");
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.8 other.lan"])");
  lab.ftl_set("primary", "dns.cnameRecords", R"(["x.lan,nas.lan"])");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& dns = *item(doc, "custom-dns");
  EXPECT_EQ(dns["result"].as_string(), "skipped");
  EXPECT_EQ(dns["local"]["set_by_env"].as_string(), "FTLCONF_dns_hosts");
  EXPECT_NE(dns["message"].as_string().find("FTLCONF_dns_hosts"), std::string::npos) << dns["message"].as_string();
  EXPECT_NE(r.err.find("FTLCONF_dns_hosts"), std::string::npos) << r.err;
  EXPECT_EQ(*lab.ftl_values("secondary", "dns.hosts"), Strings{"192.168.1.10 nas.lan"});
  EXPECT_EQ((*item(doc, "cname"))["result"].as_string(), "ok");
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.cnameRecords", {"x.lan,nas.lan"}), Strings{"x.lan,nas.lan"});
  EXPECT_EQ(lab.dig_until("secondary", "x.lan", "NOERROR nas.lan. 192.168.1.10"), "NOERROR nas.lan. 192.168.1.10");
}

TEST_F(BothV6, AValueWithAControlCharacterIsRefused) {
  // FTL refuses such a value itself (its dnsmasq test); the pihole user can still write it
  // into pihole.toml. FTL stopped, so the file stays as written.
  lab.node_command("stop", "primary");
  edit(lab.toml("primary"), "\"files.lan,nas.lan\"", R"("a.lan,nas.lan\ndhcp-script=/tmp/evil")");
  auto r = lab.run(with({"sync"}, kTextItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("control character"), std::string::npos) << r.out;
  EXPECT_EQ(*lab.ftl_values("secondary", "dns.cnameRecords"), Strings{"files.lan,nas.lan"});
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
  const Strings original{"192.168.1.10 nas.lan", "192.168.1.11 printer.lan printer"};
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", original), original);
  EXPECT_EQ(lab.dig_until("secondary", "printer.lan", "NOERROR 192.168.1.11"), "NOERROR 192.168.1.11");
}

// Every kind of entry FTL accepts travels exactly: commas, ", ", quotes, backslashes, '#',
// non-ASCII, IPv6, TTLs, tags. Read back from FTL's own API on the receiving node.
TEST_F(BothV6, OddEntriesTravelExactly) {
  const Strings hosts{"10.0.0.20 comma.lan # a, b, c",
                      "10.0.0.21 quote.lan # \"quoted\" and 'single'",
                      "10.0.0.22 back.lan # back\\slash \\\\ two",
                      "10.0.0.23 hash.lan # #hash ##",
                      "10.0.0.24 uni.lan # Zürich ✓ 😀",
                      "fd00::25 v6.lan"};
  const Strings cnames{"c1.lan,comma.lan", "c2.lan, quote.lan # x, y # ünï ✓", "xn--brcke-lva.lan,uni.lan",
                       "c3.lan,back.lan,300"};
  const Strings dhcp{"aa:bb:cc:dd:ee:01,192.168.1.51,one # a, b", "AA:BB:CC:DD:EE:02,set:Kids,192.168.1.52,two,infinite"};
  auto json = [](const Strings& values) {
    Json a = Json::array();
    for (const auto& v : values) a.push(v);
    return a.dump();
  };
  lab.ftl_set("primary", "dns.hosts", json(hosts));
  lab.ftl_set("primary", "dns.cnameRecords", json(cnames));
  lab.ftl_set("primary", "dhcp.hosts", json(dhcp));
  // What FTL holds is what was set (FTL sanitizes the spacing of dns.hosts itself).
  ASSERT_EQ(lab.ftl_values_until("primary", "dns.hosts", hosts), hosts);
  ASSERT_EQ(lab.ftl_values_until("primary", "dns.cnameRecords", cnames), cnames);
  auto r = lab.run(with({"sync"}, kAllItems));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", hosts), hosts);
  // The same records, the whitespace around a comma dropped as dnsmasq drops it.
  const Strings cnames_here{"c1.lan,comma.lan", "c2.lan,quote.lan # x, y # ünï ✓", "xn--brcke-lva.lan,uni.lan",
                            "c3.lan,back.lan,300"};
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.cnameRecords", cnames_here), cnames_here);
  EXPECT_EQ(lab.ftl_values_until("secondary", "dhcp.hosts", dhcp), dhcp);
  EXPECT_EQ(lab.dig_until("secondary", "comma.lan", "NOERROR 10.0.0.20"), "NOERROR 10.0.0.20");
  EXPECT_EQ(lab.dig("secondary", "v6.lan", "AAAA"), "NOERROR fd00::25");
  EXPECT_EQ(lab.dig_until("secondary", "c2.lan", "NOERROR quote.lan. 10.0.0.21"), "NOERROR quote.lan. 10.0.0.21");
  EXPECT_EQ(lab.dig("secondary", "xn--brcke-lva.lan"), "NOERROR uni.lan. 10.0.0.24");
  EXPECT_EQ(lab.dig("secondary", "c3.lan"), "NOERROR back.lan. 10.0.0.22");
  // In sync now, and a second run changes nothing anywhere.
  EXPECT_EQ(lab.run(with({"compare"}, kAllItems)).code, 0);
  lab.clear_calls();
  ASSERT_EQ(lab.run(with({"sync"}, kAllItems)).code, 0);
  EXPECT_FALSE(has_call(lab.calls("secondary"), "pihole-FTL --config dns."));
  EXPECT_FALSE(has_call(lab.calls("primary"), "pihole-FTL --config dns."));
}

TEST_F(BothV6, ANonAsciiCnameIsRefusedForV6Too) {
  // FTL converts such a name with libidn2 in its own locale: where that is not UTF-8 it
  // stops answering after its restart ("CRIT: Error in dnsmasq configuration: bad CNAME").
  lab.node_command("stop", "primary");
  edit(lab.toml("primary"), "\"files.lan,nas.lan\"", "\"files.lan,nas.lan\", \"brücke.lan,nas.lan\"");
  const int pid = lab.ftl_pid("secondary");
  auto r = lab.run(with({"sync"}, kTextItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("outside ASCII"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("punycode"), std::string::npos) << r.out;
  EXPECT_EQ(*lab.ftl_values("secondary", "dns.cnameRecords"), Strings{"files.lan,nas.lan"});
  EXPECT_EQ(lab.ftl_pid("secondary"), pid);
  EXPECT_EQ(lab.dig("secondary", "files.lan"), "NOERROR nas.lan. 192.168.1.10");
}

TEST_F(BothV6, AValueTooLongForFtlsCommandLineIsRefusedAndTheRestGoesAhead) {
  // 6,000 records, as a big v5 custom.list migrated to v6 holds: more than 128 KiB of JSON,
  // which pihole-FTL --config cannot be given. Written as the pihole user could (FTL stopped).
  lab.node_command("stop", "primary");
  std::string entries;
  for (int i = 0; i < 6000; ++i) {
    entries += "\"10.9." + std::to_string(i / 250) + "." + std::to_string(i % 250) + " host" + std::to_string(i) + ".lan\", ";
  }
  edit(lab.toml("primary"), "\"192.168.1.10 nas.lan\",", entries + "\"192.168.1.10 nas.lan\",");
  edit(lab.toml("primary"), "\"files.lan,nas.lan\"", "\"files.lan,nas.lan\", \"big.lan,nas.lan\"");
  const Strings before = *lab.ftl_values("secondary", "dns.hosts");
  auto r = lab.run(with({"--json", "sync"}, kTextItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const Json doc = r.json();
  const std::string message = (*item(doc, "custom-dns"))["message"].as_string();
  EXPECT_NE(message.find("at most 128 KiB"), std::string::npos) << message;
  EXPECT_EQ(*lab.ftl_values("secondary", "dns.hosts"), before);
  EXPECT_EQ((*item(doc, "cname"))["result"].as_string(), "ok");
  EXPECT_EQ(lab.dig_until("secondary", "big.lan", "NOERROR nas.lan. 192.168.1.10"),
            "NOERROR nas.lan. 192.168.1.10");
  // No backup is left of a change that was never made.
  EXPECT_TRUE(list_dir(lab.path("secondary", "backups/custom-dns")).empty());
}

TEST_F(BothV6, ASingleEntryAndAnEmptyArrayTravelAndARemovedRecordStopsResolving) {
  EXPECT_EQ(lab.dig("secondary", "files.lan"), "NOERROR nas.lan. 192.168.1.10");
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.30 single.lan"])");
  lab.ftl_set("primary", "dns.cnameRecords", "[]");
  auto r = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", {"10.0.0.30 single.lan"}), Strings{"10.0.0.30 single.lan"});
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.cnameRecords", {}), Strings{});
  EXPECT_EQ(lab.dig_until("secondary", "single.lan", "NOERROR 10.0.0.30"), "NOERROR 10.0.0.30");
  EXPECT_EQ(lab.dig_until("secondary", "files.lan", "NXDOMAIN"), "NXDOMAIN");
  EXPECT_EQ(lab.dig_until("secondary", "nas.lan", "NXDOMAIN"), "NXDOMAIN");
}

TEST_F(BothV6, AReinstalledPrimaryNeverWipesItsPartnersValues) {
  // A reinstalled v6 primary: nothing in gravity.db beyond a fresh install, and empty
  // dns.hosts and dns.cnameRecords (CONTRACT.md "Missing, empty, fresh").
  sqlite(lab.gravity("primary"),
         "DELETE FROM domainlist; DELETE FROM client; DELETE FROM \"group\" WHERE id <> 0; "
         "DELETE FROM adlist WHERE address <> 'https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts';");
  lab.ftl_set("primary", "dns.hosts", "[]");
  lab.ftl_set("primary", "dns.cnameRecords", "[]");
  const auto hosts = lab.ftl_values("secondary", "dns.hosts");
  ASSERT_TRUE(hosts && !hosts->empty());
  auto r = lab.run(with({"--json", "sync"}, kAllItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("empty custom-dns would wipe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("empty cname would wipe"), std::string::npos) << r.out;
  EXPECT_EQ(*lab.ftl_values("secondary", "dns.hosts"), *hosts);
  EXPECT_FALSE(has_call(lab.calls("secondary"), "pihole-FTL --config"));
  EXPECT_EQ(lab.dig("secondary", "files.lan"), "NOERROR nas.lan. 192.168.1.10");
  // --force is the way to mean it.
  auto forced = lab.run(with({"sync", "--force"}, kTextItems));
  EXPECT_EQ(forced.code, 0) << forced.out << forced.err;
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", {}), Strings{});
}

TEST_F(BothV6, PolicyNewerTakesTheLaterChangeByPiholeTomlsTime) {
  lab.set_sync_option("conflict: newer");
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.41 earlier.lan"])");
  std::this_thread::sleep_for(Millis(1100));
  lab.ftl_set("secondary", "dns.hosts", R"(["10.0.0.42 later.lan"])");
  auto r = lab.run({"--json", "sync", "--only", "custom-dns"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  const Json& dns = *item(doc, "custom-dns");
  EXPECT_EQ(dns["action"].as_string(), "push");
  EXPECT_TRUE(dns["conflict"].as_bool());
  EXPECT_NE(dns["message"].as_string().find("the local copy is newer"), std::string::npos) << dns["message"].as_string();
  EXPECT_EQ(lab.ftl_values_until("primary", "dns.hosts", {"10.0.0.42 later.lan"}), Strings{"10.0.0.42 later.lan"});

  lab.ftl_set("secondary", "dns.hosts", R"(["10.0.0.43 here.lan"])");
  std::this_thread::sleep_for(Millis(1100));
  lab.ftl_set("primary", "dns.hosts", R"(["10.0.0.44 there-later.lan"])");
  auto again = lab.run({"--json", "sync", "--only", "custom-dns"});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ((*item(again.json(), "custom-dns"))["action"].as_string(), "pull");
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", {"10.0.0.44 there-later.lan"}),
            Strings{"10.0.0.44 there-later.lan"});
}

// --- mixed pairs: upgrading one node at a time --------------------------------------

TEST(MixedPair, V5RemoteAndV6LocalStartInSyncAndRecordsTravelBothWays) {
  Lab lab({"--v6", "secondary"});
  // The same records in a file and in pihole.toml: in sync, in the canonical form.
  auto cmp = lab.run(with({"--json", "compare"}, kTextItems));
  EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
  EXPECT_EQ(cmp.json()["nodes"]["text_form"].as_string(), "records");

  // v5 -> v6: whole-line comments and spacing are not carried; the records and their
  // trailing comments are.
  EXPECT_EQ(lab.dig("secondary", "print.lan"), "NXDOMAIN");
  const int pid = lab.ftl_pid("secondary");
  write_text(lab.custom_list("primary"), "# the office\n10.0.0.5   pc.lan  # desk\n192.168.1.10 nas.lan\n");
  write_text(lab.cname("primary"), "cname=files.lan,nas.lan\ncname = print.lan, pc.lan\n");
  lab.clear_calls();
  auto pull = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", {"10.0.0.5 pc.lan # desk", "192.168.1.10 nas.lan"}),
            (Strings{"10.0.0.5 pc.lan # desk", "192.168.1.10 nas.lan"}));
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.cnameRecords", {"files.lan,nas.lan", "print.lan,pc.lan"}),
            (Strings{"files.lan,nas.lan", "print.lan,pc.lan"}));
  EXPECT_EQ(lab.dig_until("secondary", "print.lan", "NOERROR pc.lan. 10.0.0.5"), "NOERROR pc.lan. 10.0.0.5");
  EXPECT_TRUE(lab.reloads("secondary").empty());
  EXPECT_EQ(lab.ftl_pid("secondary"), pid);

  // v6 -> v5: a static lease set in the v6 web UI lands as a dhcp-host= line; v5 needs a
  // full restart for a dnsmasq file (a new PID), and answers again afterwards.
  const int primary_pid = lab.ftl_pid("primary");
  lab.ftl_set("secondary", "dhcp.hosts", R"(["aa:bb:cc:dd:ee:ff,192.168.1.50,laptop", "11:22:33:44:55:66,192.168.1.60,tv"])");
  lab.clear_calls();
  auto push = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(read_text(lab.dhcp("primary")),
            "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\ndhcp-host=11:22:33:44:55:66,192.168.1.60,tv\n");
  EXPECT_EQ(lab.reloads("primary"), Strings{"pihole restartdns"});
  EXPECT_NE(lab.ftl_pid("primary"), primary_pid);
  EXPECT_NE(lab.ftl_pid("primary"), 0);
  EXPECT_EQ(lab.dig("primary", "nas.lan"), "NOERROR 192.168.1.10");
  EXPECT_EQ(lab.run(with({"compare"}, kTextItems)).code, 0);
}

TEST(MixedPair, V6RemoteAndV5LocalCarryRecordsIntoFilesAndBack) {
  Lab lab({"--v6", "primary"});
  // A name outside ASCII: v6's FTL takes it, v5's dnsmasq would not start with it.
  const int pid = lab.ftl_pid("secondary");
  const std::string before = read_text(lab.cname("secondary"));
  lab.ftl_set("primary", "dns.cnameRecords", R"(["files.lan,nas.lan", "brücke.lan,nas.lan,2"])");
  auto refused = lab.run(with({"sync"}, kTextItems));
  EXPECT_EQ(refused.code, 5) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("outside ASCII"), std::string::npos) << refused.out;
  EXPECT_EQ(read_text(lab.cname("secondary")), before);
  EXPECT_EQ(lab.ftl_pid("secondary"), pid);
  EXPECT_EQ(lab.dig("secondary", "files.lan"), "NOERROR nas.lan. 192.168.1.10");

  // Its punycode form travels, and v5 serves it after its restart.
  lab.ftl_set("primary", "dns.cnameRecords", R"(["files.lan,nas.lan", "xn--brcke-lva.lan,nas.lan,2"])");
  lab.clear_calls();
  auto pull = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(read_text(lab.cname("secondary")), "cname=files.lan,nas.lan\ncname=xn--brcke-lva.lan,nas.lan,2\n");
  EXPECT_EQ(lab.reloads("secondary"), Strings{"pihole restartdns"});
  EXPECT_NE(lab.ftl_pid("secondary"), pid);
  EXPECT_EQ(lab.dig_until("secondary", "xn--brcke-lva.lan", "NOERROR nas.lan. 192.168.1.10"),
            "NOERROR nas.lan. 192.168.1.10");

  write_text(lab.custom_list("secondary"), "192.168.1.10 nas.lan\n10.1.1.1 local-made.lan\n");
  lab.clear_calls();
  auto push = lab.run(with({"sync"}, kTextItems));
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(lab.ftl_values_until("primary", "dns.hosts", {"192.168.1.10 nas.lan", "10.1.1.1 local-made.lan"}),
            (Strings{"192.168.1.10 nas.lan", "10.1.1.1 local-made.lan"}));
  EXPECT_EQ(lab.dig_until("primary", "local-made.lan", "NOERROR 10.1.1.1"), "NOERROR 10.1.1.1");
  EXPECT_TRUE(lab.reloads("primary").empty());
}

TEST(MixedPair, ACommentOrCaseOnOneSideIsNoPhantomChange) {
  Lab lab({"--v6", "primary"});
  ASSERT_EQ(lab.run(with({"sync"}, kTextItems)).code, 0);
  // A new record with a comment on the v6 primary reaches the v5 file with its comment...
  lab.ftl_set("primary", "dns.hosts", R"(["192.168.1.10 nas.lan", "192.168.1.11 printer.lan printer", "192.168.1.2 nas2.lan # the NAS"])");
  ASSERT_EQ(lab.run(with({"sync"}, kTextItems)).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")),
            "192.168.1.10 nas.lan\n192.168.1.11 printer.lan printer\n192.168.1.2 nas2.lan # the NAS\n");
  EXPECT_EQ(lab.dig_until("secondary", "nas2.lan", "NOERROR 192.168.1.2"), "NOERROR 192.168.1.2");
  // ...and the next run sees both sides in sync: nothing is pushed back onto the primary.
  lab.clear_calls();
  auto again = lab.run(with({"--json", "sync"}, kTextItems));
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ((*item(again.json(), "custom-dns"))["action"].as_string(), "none");
  EXPECT_FALSE(has_call(lab.calls("primary"), "pihole-FTL --config dns.hosts"));
  EXPECT_EQ(*lab.ftl_values("primary", "dns.hosts"),
            (Strings{"192.168.1.10 nas.lan", "192.168.1.11 printer.lan printer", "192.168.1.2 nas2.lan # the NAS"}));
  // Spacing, case and comments written by hand on the v5 side are not a change either.
  write_text(lab.custom_list("secondary"),
             "# mine\n192.168.1.10   NAS.lan\n192.168.1.11 printer.lan printer # desk\n192.168.1.2 nas2.lan\n");
  EXPECT_EQ(lab.run(with({"compare"}, kTextItems)).code, 0);
}

TEST(MixedPair, ALatin1CustomListNeverReachesPiholeToml) {
  Lab lab({"--v6", "primary"});
  ASSERT_EQ(lab.run(with({"sync"}, kTextItems)).code, 0);
  const Strings before = *lab.ftl_values("primary", "dns.hosts");
  // Written by an old editor in Latin-1: FTL would put it into pihole.toml as it is, and
  // no TOML reader (FTL's, ours) could read that file again.
  write_text(lab.custom_list("secondary"), "192.168.1.10 nas.lan # caf\xe9\n10.0.0.77 pend.lan\n");
  write_text(lab.cname("secondary"), "cname=files.lan,nas.lan\ncname=more.lan,nas.lan\n");
  auto r = lab.run(with({"--json", "push"}, kTextItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_NE((*item(doc, "custom-dns"))["message"].as_string().find("not valid UTF-8"), std::string::npos) << r.out;
  EXPECT_EQ(*lab.ftl_values("primary", "dns.hosts"), before);
  EXPECT_EQ((*item(doc, "cname"))["result"].as_string(), "ok");
  // check reads the file as a receiver would, and says so before any sync.
  auto check = lab.run({"check"});
  EXPECT_EQ(check.code, 5) << check.out;
  EXPECT_NE(check.out.find("not valid UTF-8"), std::string::npos) << check.out;
}

TEST(MixedPair, AV5FileTooLongForFtlsCommandLineIsRefusedOverSshAndTheRestGoesAhead) {
  Lab lab({"--v6", "primary"});
  ASSERT_EQ(lab.run(with({"sync"}, kTextItems)).code, 0);
  std::string big = "192.168.1.10 nas.lan\n";
  for (int i = 0; i < 6000; ++i) {
    big += "10.9." + std::to_string(i / 250) + "." + std::to_string(i % 250) + " host" + std::to_string(i) + ".lan\n";
  }
  write_text(lab.custom_list("secondary"), big);
  write_text(lab.cname("secondary"), "cname=files.lan,nas.lan\ncname=after-big.lan,nas.lan\n");
  const Strings before = *lab.ftl_values("primary", "dns.hosts");
  auto r = lab.run(with({"--json", "push"}, kTextItems));
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_NE((*item(doc, "custom-dns"))["message"].as_string().find("at most 128 KiB"), std::string::npos) << r.out;
  EXPECT_EQ(*lab.ftl_values("primary", "dns.hosts"), before);
  EXPECT_EQ((*item(doc, "cname"))["result"].as_string(), "ok");
  EXPECT_EQ(lab.dig_until("primary", "after-big.lan", "NOERROR nas.lan. 192.168.1.10"),
            "NOERROR nas.lan. 192.168.1.10");
}

TEST(MixedPair, AHostileV6ValueNeverReachesAV5File) {
  Lab lab({"--v6", "primary"});
  const std::string before = read_text(lab.custom_list("secondary"));
  // FTL would refuse this entry; the pihole user can still write it into pihole.toml.
  lab.node_command("stop", "primary");
  edit(lab.toml("primary"), "\"192.168.1.11 printer.lan printer\"", "\"address=/bank.example/10.6.6.6\"");
  auto r = lab.run({"pull", "--only", "custom-dns"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), before);
  EXPECT_TRUE(lab.reloads("secondary").empty());
  EXPECT_EQ(lab.dig("secondary", "bank.example"), "NXDOMAIN");
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
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'from-container.example');");
  auto pull = lab.run({"sync"});
  ASSERT_EQ(pull.code, 0) << pull.out << pull.err;
  EXPECT_EQ(domains(lab.gravity("secondary")), domains(lab.gravity("primary")));
  EXPECT_EQ(lab.dig_until("secondary", "from-container.example", "NOERROR 0.0.0.0"), "NOERROR 0.0.0.0");
  const auto calls = lab.calls("primary");
  // Every program ran in the container, on its own paths; the snapshot from inside
  // gravity-sync's private directory (entered there and checked by device and inode),
  // written to it by a relative name.
  const bool snapshot_inside = std::any_of(calls.begin(), calls.end(), [](const std::string& c) {
    return c.rfind("docker exec pihole-primary sh -c ", 0) == 0 &&
           c.find(" sh /etc/pihole/.gravity-sync.") != std::string::npos &&
           c.find(" pihole-FTL sqlite3 -batch -bail -init /dev/null -list -noheader -cmd .timeout 5000 -nofollow "
                  "/etc/pihole/gravity.db .backup './snap'") != std::string::npos;
  });
  EXPECT_TRUE(snapshot_inside) << ::testing::PrintToString(calls);

  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'into-container.example');");
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
  EXPECT_TRUE(has_call(lab.calls("primary"), "docker exec pihole-primary pihole restartdns reload"));
  EXPECT_EQ(lab.dig_until("primary", "pushed.lan", "NOERROR 10.2.2.2"), "NOERROR 10.2.2.2");
  EXPECT_EQ(lab.dig("primary", "into-container.example"), "NOERROR 0.0.0.0");
  // The snapshot for the backup was taken in the container too, and kept on the host.
  EXPECT_EQ(list_dir(lab.path("primary", "backups/gravity")).size(), 1u);
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
  EXPECT_EQ(lab.ftl_values_until("secondary", "dns.hosts", {"10.3.3.3 through-podman.lan"}),
            Strings{"10.3.3.3 through-podman.lan"});
  EXPECT_EQ(lab.dig_until("secondary", "through-podman.lan", "NOERROR 10.3.3.3"), "NOERROR 10.3.3.3");
  // pihole-FTL --config in the C locale FTL runs in (layout.hpp ftl_config_argv).
  EXPECT_TRUE(has_call(lab.calls("secondary"),
                       "podman exec pihole-secondary env LC_ALL=C pihole-FTL --config dns.hosts [\"10.3.3.3"))
      << ::testing::PrintToString(lab.calls("secondary"));
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

  sqlite(lab->gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'by-sudo.example');");
  write_text(lab->custom_list("secondary"), "192.168.1.10 nas.lan\n10.4.4.4 by-sudo.lan\n");
  auto push = lab->run({"--json", "push"});
  ASSERT_EQ(push.code, 0) << push.out << push.err;
  EXPECT_EQ(domains(lab->gravity("primary")), domains(lab->gravity("secondary")));
  EXPECT_EQ(read_text(lab->custom_list("primary")), "192.168.1.10 nas.lan\n10.4.4.4 by-sudo.lan\n");
  EXPECT_EQ(stat_file(lab->gravity("primary"))->uid, 999u);
  EXPECT_EQ(stat_file(lab->gravity("primary"))->mode & 0777, 0640u);
  EXPECT_EQ(stat_file(lab->custom_list("primary"))->mode & 0777, 0600u);
  EXPECT_EQ((*item(push.json(), "gravity"))["backup"].as_string().rfind("remote:gravity:", 0), 0u);
  EXPECT_EQ(lab->dig_until("primary", "by-sudo.lan", "NOERROR 10.4.4.4"), "NOERROR 10.4.4.4");
  EXPECT_EQ(lab->dig("primary", "by-sudo.example"), "NOERROR 0.0.0.0");

  sqlite(lab->gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'pulled-by-sudo.example');");
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
