// Issue 16: more than two Pi-holes. Labs of three and five real Pi-hole nodes (v5 and v6
// mixed), this node ("secondary") syncing with each remote node over its own sshd.
#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include <sys/time.h>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace gs::test {
namespace {

using Strings = std::vector<std::string>;

// The peer entry of a `--json` document of a run over several peers (null if none).
const Json& peer_of(const Json& doc, const std::string& name) {
  static const Json none;
  for (const auto& p : doc["peers"].items()) {
    if (p["name"].as_string() == name) return p;
  }
  return none;
}

// The item `name` of peer `peer` in a `--json` document (null if none). `doc` must outlive
// the reference: pass a named document, never `r.json()`.
const Json& item_of(const Json& doc, const std::string& peer, const std::string& name) {
  static const Json none;
  for (const auto& item : peer_of(doc, peer)["items"].items()) {
    if (item["name"].as_string() == name) return item;
  }
  return none;
}

bool says(const Json& item, const std::string& words) {
  return item["message"].as_string().find(words) != std::string::npos;
}

// Give `node` the custom DNS records `lines` the way an admin does there: the v5 file, or
// the v6 value through FTL.
void set_custom_dns(const Lab& lab, const std::string& node, const Strings& lines) {
  if (read_text(lab.path(node, "version")) == "6\n") {
    std::string json = "[";
    for (const auto& l : lines) json += (json.size() > 1 ? ", \"" : "\"") + l + "\"";
    lab.ftl_set(node, "dns.hosts", json + "]");
    return;
  }
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  write_text(lab.custom_list(node), text);
}

// Five nodes, three of them v5 and two v6: a change made on any one of them reaches the
// four others in one `sync` run on this node (the hub), and is then in sync everywhere.
TEST(Peers, AChangeOnAnyOfFiveNodesReachesTheOtherFourInOneRun) {
  Lab lab{{"--peers", "3", "--v6", "peer2", "--v6", "peer3"}};
  lab.set_sync_option("items: [custom-dns, cname]");  // gravity.db never crosses Pi-hole versions
  const Strings nodes{"primary", "secondary", "peer1", "peer2", "peer3"};
  // The nodes start alike; a first sync records that for every peer (without a history a
  // difference is a conflict for the policy, docs/PEERS.md).
  auto first = lab.run({"sync"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  int n = 0;
  for (const auto& origin : nodes) {
    SCOPED_TRACE("a change made on " + origin);
    ++n;
    const std::string name = "from-" + origin + ".lan";
    const std::string ip = "10.0." + std::to_string(n) + ".1";
    set_custom_dns(lab, origin, {ip + " " + name});
    auto r = lab.run({"--json", "sync"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    // Every other node answers with it (the origin's own v5 file is served once its admin
    // reloads Pi-hole there, which no sync does for a node that did not change).
    for (const auto& node : nodes) {
      if (node == origin) continue;
      EXPECT_EQ(lab.dig_until(node, name, "NOERROR " + ip), "NOERROR " + ip) << "on " << node;
    }
    auto cmp = lab.run({"--json", "compare"});
    EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
    EXPECT_TRUE(cmp.json()["in_sync"].as_bool()) << cmp.out;
    EXPECT_EQ(cmp.json()["peers"].items().size(), 4u) << cmp.out;
  }
}

class ThreeNodes : public ::testing::Test {
 protected:
  Lab lab{{"--peers", "1"}};
};

// One peer down never stops the others: its own exit code (3), the run's the worst, the
// others synced; when it is back, the next run brings it up to date.
TEST_F(ThreeNodes, APeerThatIsDownNeverStopsTheOthers) {
  ASSERT_EQ(lab.run({"sync"}).code, 0);  // in sync with both before peer1 goes down
  lab.script({"sshd-stop", "peer1"});
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'peer-down.example');");
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  const Json doc = r.json();
  ASSERT_TRUE(peer_of(doc, "peer1").is_object()) << r.out;
  EXPECT_EQ(peer_of(doc, "peer1")["error"]["code"].as_int(), 3) << r.out;
  EXPECT_TRUE(peer_of(doc, "primary")["error"].is_null()) << r.out;
  EXPECT_EQ(doc["error"]["code"].as_int(), 3) << r.out;
  EXPECT_NE(doc["error"]["message"].as_string().find("peer peer1: "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("peer peer1: "), std::string::npos) << r.err;
  EXPECT_EQ(lab.dig_until("secondary", "peer-down.example", "NOERROR 0.0.0.0"), "NOERROR 0.0.0.0");
  EXPECT_EQ(lab.dig("peer1", "peer-down.example"), "NXDOMAIN");
  // status: per peer.
  auto st = lab.run({"--json", "status"});
  const Json status = st.json();
  const Json& last = status["last_run"];
  EXPECT_EQ(last["exit_code"].as_int(), 3) << st.out;
  EXPECT_EQ(peer_of(last, "peer1")["exit_code"].as_int(), 3) << st.out;
  EXPECT_EQ(peer_of(last, "primary")["exit_code"].as_int(), 0) << st.out;
  auto text = lab.run({"status"});
  EXPECT_NE(text.out.find("peer peer1 (127.0.0.1:"), std::string::npos) << text.out;
  // A run with the other peer alone does not hide it: peer1 keeps its entry, and its time.
  ASSERT_EQ(lab.run({"sync", "--peer", "primary"}).code, 0);
  auto kept = lab.run({"--json", "status"});
  const Json after = kept.json();
  EXPECT_EQ(after["last_run"]["exit_code"].as_int(), 3) << kept.out;
  EXPECT_EQ(peer_of(after["last_run"], "peer1")["exit_code"].as_int(), 3) << kept.out;
  EXPECT_EQ(peer_of(after["last_run"], "peer1")["time"].as_int(), last["time"].as_int()) << kept.out;
  EXPECT_TRUE(peer_of(after["last_run"], "primary")["time"].is_null()) << kept.out;

  lab.script({"sshd-start", "peer1"});
  auto again = lab.run({"sync"});
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ(lab.dig_until("peer1", "peer-down.example", "NOERROR 0.0.0.0"), "NOERROR 0.0.0.0");
}

// A peer whose host key changed is refused (exit 4) and never touched; the other syncs.
TEST_F(ThreeNodes, APeerWithAChangedHostKeyIsRefusedAndTheOtherSyncs) {
  const std::string port = read_text(lab.dir() + "/sshd-peer1/port");
  const std::string other = read_text(lab.dir() + "/keys/other_host_ed25519.pub");
  std::string known = read_text(lab.dir() + "/keys/known_hosts");
  const std::string pattern = "[127.0.0.1]:" + port.substr(0, port.find('\n')) + " ";
  const auto at = known.find(pattern);
  ASSERT_NE(at, std::string::npos) << known;
  known.replace(at, known.find('\n', at) - at, pattern + other.substr(0, other.find(' ', other.find(' ') + 1)));
  write_text(lab.dir() + "/keys/known_hosts", known);
  write_text(lab.custom_list("primary"), "10.4.4.4 rotated.lan\n");
  lab.clear_calls();
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_EQ(peer_of(doc, "peer1")["error"]["code"].as_int(), 4) << r.out;
  EXPECT_EQ(lab.dig_until("secondary", "rotated.lan", "NOERROR 10.4.4.4"), "NOERROR 10.4.4.4");
  EXPECT_TRUE(lab.calls("peer1").empty()) << "the refused peer was touched";
}

// One node listed twice under two spellings of its address passes the config check (which
// compares host and port as given), but it offers one host key under both names: compare,
// sync and check say so once, naming both peers; the run itself goes on.
TEST_F(ThreeNodes, OneNodeUnderTwoNamesIsNamedByItsHostKey) {
  lab.list_node_again("primary", "primary-again", "127.1");  // the same address, spelled another way
  const std::string warning = "peers primary and primary-again offered the same host key";
  auto count = [&](const std::string& text) { return occurrences(text, warning); };
  for (const Strings& args : {Strings{"compare"}, Strings{"sync"}, Strings{"check"}}) {
    SCOPED_TRACE(args.front());
    auto r = lab.run(args);
    EXPECT_LE(r.code, 1) << r.out << r.err;  // compare: 0 or 1; the others: 0
    EXPECT_EQ(count(r.err), 1u) << r.err;
    EXPECT_EQ(count(r.out), 0u) << r.out;
  }
  // Peers reached one at a time (--peer) are not compared with each other.
  auto alone = lab.run({"compare", "--peer", "primary"});
  EXPECT_EQ(count(alone.err), 0u) << alone.err;
}

// Both other nodes changed the same item differently: the policy (remote) decides at each
// peer in turn, every node ends with one version, and the reason says what happened.
TEST_F(ThreeNodes, AConflictAcrossTwoPeersEndsWithOneVersionEverywhere) {
  // A first sync gives every pair a history.
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  write_text(lab.custom_list("primary"), "10.5.5.1 from-primary.lan\n");
  write_text(lab.custom_list("peer1"), "10.5.5.2 from-peer1.lan\n");
  // compare foresees it: peer1's own compare is a plain pull, but after primary's pull it
  // is a conflict, which the policy (remote) resolves by pulling.
  auto cmp0 = lab.run({"--json", "compare"});
  EXPECT_EQ(cmp0.code, 1) << cmp0.out << cmp0.err;
  const Json foreseen = cmp0.json();
  const Json& predicted = item_of(foreseen, "peer1", "custom-dns");
  EXPECT_TRUE(predicted["conflict"].as_bool()) << cmp0.out;
  EXPECT_EQ(predicted["action"].as_string(), "pull") << cmp0.out;
  EXPECT_TRUE(says(predicted, "after the pull from peer primary")) << cmp0.out;
  // So does a dry run; with policy skip, the real run's exit code for it: 6.
  for (const std::string policy : {"remote", "skip"}) {
    SCOPED_TRACE(policy);
    lab.set_sync_option("conflict: " + policy);
    auto dry = lab.run({"--json", "sync", "--dry-run"});
    EXPECT_EQ(dry.code, policy == "skip" ? 6 : 0) << dry.out << dry.err;
    const Json dry_doc = dry.json();
    EXPECT_TRUE(says(item_of(dry_doc, "peer1", "custom-dns"), "after the pull from peer primary")) << dry.out;
  }
  lab.set_sync_option("conflict: remote");
  EXPECT_EQ(read_text(lab.custom_list("secondary")).find("from-"), std::string::npos);
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_TRUE(item_of(doc, "peer1", "custom-dns")["conflict"].as_bool()) << r.out;
  EXPECT_TRUE(says(item_of(doc, "peer1", "custom-dns"), "both")) << r.out;
  // The last peer's version, everywhere.
  for (const std::string node : {"primary", "secondary", "peer1"}) {
    EXPECT_EQ(read_text(lab.custom_list(node)), "10.5.5.2 from-peer1.lan\n") << node;
  }
  auto cmp = lab.run({"compare"});
  EXPECT_EQ(cmp.code, 0) << cmp.out << cmp.err;
  // A later run finds nothing to do: no ping-pong.
  lab.clear_calls();
  auto quiet = lab.run({"sync"});
  EXPECT_EQ(quiet.code, 0) << quiet.out;
  for (const std::string node : {"primary", "secondary", "peer1"}) EXPECT_TRUE(lab.reloads(node).empty()) << node;
}

// Policy `newer` across two peers: the newer edit wins everywhere, whichever peer's run
// pulls first. The hub's copy of the first peer's edit is as old as that edit, not as its
// pull (sync-state.json's pulled versions).
TEST_F(ThreeNodes, PolicyNewerAcrossTwoPeersKeepsTheNewerEditWhicheverComesFirst) {
  lab.set_sync_option("conflict: newer");
  struct Case {
    const char* newer;  // the node whose edit is newer
    const char* older;
  };
  const Case cases[] = {{"peer1", "primary"}, {"primary", "peer1"}};
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("newer on ") + c.newer);
    ASSERT_EQ(lab.run({"sync"}).code, 0);  // every pair has a history
    ++n;
    const std::string older = "10.7." + std::to_string(n) + ".1 older.lan\n";
    const std::string newer = "10.7." + std::to_string(n) + ".2 newer.lan\n";
    const time_t now = std::time(nullptr);
    auto edit = [](const std::string& path, const std::string& text, time_t at) {
      write_text(path, text);
      const timeval times[2] = {{at, 0}, {at, 0}};
      ASSERT_EQ(::utimes(path.c_str(), times), 0) << path;
    };
    edit(lab.custom_list(c.older), older, now - 100);
    edit(lab.custom_list(c.newer), newer, now - 50);
    auto r = lab.run({"--json", "sync"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    for (const std::string node : {"primary", "secondary", "peer1"}) {
      EXPECT_EQ(read_text(lab.custom_list(node)), newer) << node << "\n" << r.out;
    }
    // The second peer's run saw the conflict and said which side was newer.
    const Json doc = r.json();
    EXPECT_TRUE(says(item_of(doc, "peer1", "custom-dns"), "newer")) << r.out;
  }
}

// compare foresees the hub: a change on peer1 is a pull there, and for primary (before
// it in the config) the push that sync's last step makes; sync then does just that.
TEST_F(ThreeNodes, CompareAndDryRunForeseeTheHubsPushToAPeerBeforeThePull) {
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  write_text(lab.custom_list("peer1"), "10.5.6.1 from-peer1.lan\n");
  auto cmp = lab.run({"--json", "compare"});
  EXPECT_EQ(cmp.code, 1) << cmp.out << cmp.err;
  const Json doc = cmp.json();
  EXPECT_EQ(item_of(doc, "primary", "custom-dns")["action"].as_string(), "push") << cmp.out;
  EXPECT_TRUE(says(item_of(doc, "primary", "custom-dns"), "after the pull from peer peer1")) << cmp.out;
  EXPECT_FALSE(peer_of(doc, "primary")["in_sync"].as_bool()) << cmp.out;
  // sync --dry-run foresees it too, with the real run's exit code, and changes nothing.
  const std::string before = read_text(lab.custom_list("primary"));
  auto dry = lab.run({"--json", "sync", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.out << dry.err;
  const Json dry_doc = dry.json();
  EXPECT_EQ(item_of(dry_doc, "primary", "custom-dns")["action"].as_string(), "push") << dry.out;
  EXPECT_TRUE(says(item_of(dry_doc, "primary", "custom-dns"), "after the pull from peer peer1")) << dry.out;
  EXPECT_EQ(read_text(lab.custom_list("primary")), before);
  EXPECT_NE(read_text(lab.custom_list("secondary")), "10.5.6.1 from-peer1.lan\n");
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("primary")), "10.5.6.1 from-peer1.lan\n");
}

// Fan-out: `push` (sync.mode push for the daemon) from this node to every peer.
TEST_F(ThreeNodes, PushFansOutToEveryPeerAndPeerSelectsSome) {
  write_text(lab.custom_list("secondary"), "10.6.6.6 fanned.lan\n");
  lab.clear_calls();
  auto only = lab.run({"push", "--peer", "peer1"});
  EXPECT_EQ(only.code, 0) << only.out << only.err;
  EXPECT_EQ(lab.dig_until("peer1", "fanned.lan", "NOERROR 10.6.6.6"), "NOERROR 10.6.6.6");
  EXPECT_TRUE(lab.calls("primary").empty()) << "--peer peer1 touched primary";
  auto all = lab.run({"push"});
  EXPECT_EQ(all.code, 0) << all.out << all.err;
  EXPECT_EQ(lab.dig_until("primary", "fanned.lan", "NOERROR 10.6.6.6"), "NOERROR 10.6.6.6");
  EXPECT_TRUE(lab.reloads("secondary").empty()) << "the sender was reloaded";
  // pull from several peers would make the last one win over the others: refused, and
  // an empty --peer (an unset script variable) is no peer, not every peer.
  const std::string before = read_text(lab.custom_list("secondary"));
  write_text(lab.custom_list("peer1"), "10.6.6.7 only-peer1.lan\n");
  auto pull_all = lab.run({"pull"});
  EXPECT_EQ(pull_all.code, 2) << pull_all.out << pull_all.err;
  EXPECT_NE(pull_all.err.find("name it with --peer"), std::string::npos) << pull_all.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), before);
  auto empty = lab.run({"sync", "--peer", ""});
  EXPECT_EQ(empty.code, 2) << empty.out << empty.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), before);
  auto bad = lab.run({"--json", "sync", "--peer", "nope"});
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.json()["error"]["message"].as_string().find("\"nope\" is not a peer"), std::string::npos) << bad.out;
  // backups: this node's once, each peer's named.
  auto backups = lab.run({"--json", "backups"});
  EXPECT_EQ(backups.code, 0) << backups.out << backups.err;
  Strings peers_listed;
  const Json listed = backups.json();
  for (const auto& b : listed.items()) {
    if (b["node"].as_string() == "remote") peers_listed.push_back(b["peer"].as_string());
  }
  EXPECT_NE(std::find(peers_listed.begin(), peers_listed.end(), "peer1"), peers_listed.end()) << backups.out;
  EXPECT_NE(std::find(peers_listed.begin(), peers_listed.end(), "primary"), peers_listed.end()) << backups.out;
}

}  // namespace
}  // namespace gs::test
