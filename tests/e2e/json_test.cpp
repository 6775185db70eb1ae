// Issue 15 point 6: every command's --json document, in success and in failure, follows
// docs/gravity-sync.schema.json — one vocabulary ("nodes", "pihole", "gravity_schema",
// "node": "local"|"remote", "error": {code, message}) across commands, every object
// closed. Real output of the real binary against the lab's real Pi-hole nodes, validated
// by Debian's python3-jsonschema (tests/support/validate_json).
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

// The reasons `doc` does not match $defs/`def` (one or several, "a|b"); "" when it does.
std::string schema_violations(const std::string& doc, const std::string& def) {
  auto r = run_process({std::string(GS_SOURCE_DIR) + "/tests/support/validate_json",
                        std::string(GS_SOURCE_DIR) + "/docs/gravity-sync.schema.json", def},
                       doc, Millis(60'000));
  if (!r) return "validate_json did not run: " + r.error().message;
  return r->exit_code == 0 ? "" : "exit " + std::to_string(r->exit_code) + ": " + r->err;
}

struct Step {
  std::string name;
  std::vector<std::string> args;  // after --json
  int code;
  std::string def;
};

void run_steps(const Lab& lab, const std::vector<Step>& steps) {
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    std::vector<std::string> args{"--json"};
    args.insert(args.end(), s.args.begin(), s.args.end());
    auto r = lab.run(args);
    EXPECT_EQ(r.code, s.code) << r.out << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one document, one line: " << r.out;
    EXPECT_EQ(schema_violations(r.out, s.def), "") << r.out;
  }
}

// With `remotes:` (issue 16) every document names its peers, also when one is down.
TEST(Json, DocumentsOfARunOverSeveralPeersFollowTheSchema) {
  Lab lab{{"--peers", "1"}};
  write_text(lab.custom_list("primary"), "10.0.0.1 json-peers.lan\n");
  run_steps(lab, {
                     {"check", {"check"}, 0, "check_peers"},
                     {"compare differs", {"compare"}, 1, "compare_peers"},
                     {"sync", {"sync"}, 0, "run_peers"},
                     {"compare in sync", {"compare"}, 0, "compare_peers"},
                     {"status", {"status"}, 0, "status"},
                     {"backups", {"backups"}, 0, "backups"},
                 });
  lab.script({"sshd-stop", "peer1"});
  run_steps(lab, {
                     {"check, a peer down", {"check"}, 3, "check_peers"},
                     {"compare, a peer down", {"compare"}, 3, "compare_peers"},
                     {"sync, a peer down", {"sync"}, 3, "run_peers"},
                     {"status after it", {"status"}, 0, "status"},
                     {"backups, a peer down", {"backups"}, 3, "backups_failure"},
                     {"--peer names no peer", {"sync", "--peer", "nope"}, 2, "failure"},
                 });
}

TEST(Json, EveryCommandsDocumentFollowsTheSchema) {
  Lab lab;
  const std::string config = lab.config();
  const std::string yaml = lab.config_text();
  run_steps(lab, {
                     {"version", {"version"}, 0, "version"},
                     {"check passing", {"check"}, 0, "check"},
                     {"compare in sync", {"compare"}, 0, "compare"},
                     {"status before a run", {"status"}, 0, "status"},
                     {"backups, none yet", {"backups"}, 0, "backups"},
                     {"usage: no such command", {"frobnicate"}, 2, "failure"},
                     {"usage: no such option", {"compare", "--bogus"}, 2, "failure"},
                     {"usage: restore without an id", {"restore"}, 2, "failure"},
                     {"usage: -v with -q", {"-v", "-q", "status"}, 2, "failure"},
                     {"usage: no such item", {"compare", "--only", "bogus"}, 2, "failure"},
                 });
  write_text(lab.custom_list("primary"), "10.0.0.1 json.lan\n");
  run_steps(lab, {
                     {"compare differs", {"compare"}, 1, "compare"},
                     {"sync --dry-run", {"sync", "--dry-run"}, 0, "run"},
                     {"sync", {"sync"}, 0, "run"},
                     {"push, nothing differs", {"push"}, 0, "run"},
                     {"status after a run", {"status"}, 0, "status"},
                     {"backups", {"backups"}, 0, "backups"},
                 });
  auto listed = lab.run({"--json", "backups"}).json();
  ASSERT_FALSE(listed.items().empty());
  run_steps(lab, {{"restore", {"restore", listed.items()[0]["id"].as_string()}, 0, "restore"}});

  // Refusals and failures: the document still follows the schema, with its "error".
  write_text(lab.custom_list("primary"), "address=/evil.lan/10.6.6.6\n");
  run_steps(lab, {
                     {"sync refused (a dnsmasq directive from the peer)", {"sync"}, 5, "run"},
                     {"status after a refused run", {"status"}, 0, "status"},
                 });
  write_text(lab.custom_list("primary"), "10.0.0.1 json.lan\n");
  lab.set_node_command("primary", "pihole_command", "/nonexistent/pihole");
  run_steps(lab, {{"check failing", {"check"}, 5, "check"}});
  lab.set_config(yaml);
  lab.set_config(yaml + "remote:\n  host: twice\n");
  run_steps(lab, {
                     {"broken config: compare", {"compare"}, 2, "failure"},
                     {"broken config: check", {"check"}, 2, "failure"},
                     {"broken config: backups", {"backups"}, 2, "failure"},
                     {"broken config: status still reads the state", {"status"}, 0, "status"},
                 });
  std::string wrong_key = yaml;
  wrong_key.replace(wrong_key.find("/keys/known_hosts\n"), std::string("/keys/known_hosts\n").size(),
                    "/keys/known_hosts.wrong\n");
  lab.set_config(wrong_key);
  run_steps(lab, {
                     {"host key changed: sync", {"sync"}, 4, "run"},
                     {"host key changed: check", {"check"}, 4, "failure"},
                 });
  lab.set_config(yaml);
  lab.script({"sshd-stop"});
  run_steps(lab, {
                     {"unreachable: compare", {"compare"}, 3, "compare"},
                     {"unreachable: pull", {"pull"}, 3, "run"},
                     {"unreachable: restore", {"restore", "no-such-id"}, 3, "failure"},
                 });
  lab.script({"sshd-start"});

  // The daemon's own state in status.
  std::thread daemon([&] { (void)run_process({binary_under_test(), "-c", config, "daemon"}, "", Millis(15'000)); });
  const std::string daemon_json = lab.path("secondary", "state") + "/daemon.json";
  for (int i = 0; i < 200 && !stat_file(daemon_json)->exists; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  run_steps(lab, {{"status with the daemon running", {"status"}, 0, "status"}});
  auto status = lab.run({"--json", "status"}).json();
  EXPECT_FALSE(status["daemon"].is_null()) << "the daemon's state was not shown";
  daemon.join();

  // import-legacy of a Gravity Sync 4.x config.
  TempDir d;
  write_text(d.path() + "/gravity-sync.conf", "REMOTE_HOST='192.168.1.10'\nREMOTE_USER='pi'\n");
  auto legacy = run_binary({"--json", "-c", d.path() + "/gs.yaml", "import-legacy", d.path() + "/gravity-sync.conf"},
                           {{"HOME", d.path()}});
  EXPECT_EQ(legacy.code, 0) << legacy.out << legacy.err;
  EXPECT_EQ(schema_violations(legacy.out, "import-legacy"), "") << legacy.out;
}

// A v6 pair: text items compared as records, v6 values without size or mtime.
TEST(Json, AV6PairsDocumentsFollowTheSchema) {
  Lab lab({"--v6", "primary", "--v6", "secondary"});
  // With settings keys (settings.KEY items, "key"), one set by an FTLCONF_ variable here.
  lab.set_sync_option("items: [gravity, custom-dns, cname, settings]");
  lab.set_sync_option("settings: [dns.upstreams, dns.blockTTL]");
  write_text(lab.path("secondary", "ftlconf.env"), "FTLCONF_dns_blockTTL=9\n");
  lab.node_command("restart", "secondary");
  lab.ftl_set("primary", "dns.hosts", "[\"10.0.0.2 json6.lan\"]");
  lab.ftl_set("primary", "dns.upstreams", "[\"127.0.0.2#5399\"]");
  run_steps(lab, {
                     {"check", {"check"}, 0, "check"},
                     {"compare", {"compare"}, 1, "compare"},
                     {"sync", {"sync"}, 0, "run"},
                     {"status", {"status"}, 0, "status"},
                 });
  const Json doc = lab.run({"--json", "compare"}).json();
  EXPECT_EQ(doc["nodes"]["text_form"].as_string(), "records");
  EXPECT_EQ((*item(doc, "settings.dns.upstreams"))["key"].as_string(), "dns.upstreams");
  EXPECT_EQ((*item(doc, "settings.dns.blockTTL"))["local"]["set_by_env"].as_string(), "FTLCONF_dns_blockTTL");
}

// The validator is no rubber stamp: what the schema forbids is refused.
TEST(Json, TheSchemaRefusesWhatItDoesNotDescribe) {
  struct Case {
    const char* doc;
    const char* def;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"version": "1", "extra": true})", "version"},
           {R"({"nodes": {"local": {"pihole_major": 5}}})", "check"},
           {R"({"error": {"code": 9, "message": "x"}})", "failure"},
           {R"([{"id": "x", "node": "peer", "item": "gravity", "time": 1, "size": 1}])", "backups"},
           {R"({"items": [{"name": "gravity"}]})", "run"},
           {R"({"items": [{"name": "settings.dns;rm", "local": {}, "remote": {}, "action": "none", "conflict": false}]})",
            "compare"},
           {"not json", "version"},
       }) {
    EXPECT_NE(schema_violations(c.doc, c.def), "") << c.doc;
  }
}

}  // namespace
}  // namespace gs::test
