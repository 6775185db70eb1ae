// Issue 12: a hostile peer, or Pi-hole's own unprivileged user (who owns /etc/pihole),
// must never reach root, plant configuration or destroy data. Each test is an attack
// through the real binary against the lab's real Pi-hole nodes; each would have worked
// before the fix it names.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
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

// An item far larger than any Pi-hole writes (400 MB, sparse): it was read whole, with
// about 1 GB resident, and installed on the other node. Now it is refused at the documented
// cap (4 MiB) as it streams, on either node, and memory stays small — also when the peer
// sends more than it announced.
TEST(HostileText, AnItemBeyondTheSizeCapIsRefusedWithMemoryBounded) {
  struct Case {
    const char* node;  // where the item grows
    const char* item;
    std::string (Lab::*path)(const std::string&) const;
  };
  const Case cases[] = {{"primary", "custom-dns", &Lab::custom_list},
                        {"primary", "cname", &Lab::cname},
                        {"secondary", "custom-dns", &Lab::custom_list},
                        {"secondary", "cname", &Lab::cname}};
  // The largest resident size of any process this test waited for (KiB), the lab's own
  // tools included: a bound on what each run of gravity-sync held.
  auto max_child_rss_kib = [] {
    rusage u{};
    ::getrusage(RUSAGE_CHILDREN, &u);
    return u.ru_maxrss;
  };
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kBoundKib = 768 * 1024;  // ASan's shadow memory and quarantine
#else
  constexpr long kBoundKib = 256 * 1024;
#endif
  Lab lab;
  ASSERT_LT(max_child_rss_kib(), kBoundKib);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.node) + " " + c.item);
    const std::string big = (lab.*c.path)(c.node);
    const std::string other = (lab.*c.path)(std::string(c.node) == "primary" ? "secondary" : "primary");
    const std::string before = read_text(big);
    const std::string other_before = read_text(other);
    ASSERT_EQ(::truncate(big.c_str(), 400L << 20), 0);
    auto r = lab.run({"--json", "sync", "--only", c.item});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    const Json doc = r.json();
    const Json* entry = item(doc, c.item);
    ASSERT_NE(entry, nullptr) << r.out;
    EXPECT_NE((*entry)["message"].as_string().find("larger than"), std::string::npos) << r.out;
    EXPECT_EQ(read_text(other), other_before);
    EXPECT_LT(max_child_rss_kib(), kBoundKib);
    write_text(big, before);
  }
  // A peer that lies about the size: the tools that read a file there (`dd`, which the
  // verbs read Pi-hole's files with, and `head`) ignore their limit and send 100 MB of
  // valid lines for a small custom.list. The stream is cut at the cap while it arrives.
  const std::string bin = lab.dir() + "/flood";
  ASSERT_EQ(::mkdir(bin.c_str(), 0755), 0);
  for (const char* tool : {"dd", "head"}) {
    write_text(bin + "/" + tool, "#!/bin/sh\nyes '10.0.0.1 flood.lan' | /usr/bin/head -c 104857600\n", 0755);
  }
  lab.set_remote_shell("#!/bin/sh\nPATH=" + bin + ":$PATH exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n");
  const std::string here = read_text(lab.custom_list("secondary"));
  write_text(lab.custom_list("primary"), "10.0.0.2 small.lan\n");
  auto r = lab.run({"sync", "--only", "custom-dns"});
  EXPECT_NE(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), here);
  EXPECT_LT(max_child_rss_kib(), kBoundKib);
  lab.set_remote_shell("");
  EXPECT_EQ(lab.run({"sync", "--only", "custom-dns"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.2 small.lan\n");
}

// A CNAME file that names one alias twice, or makes a loop, only through a trailing dot
// (dnsmasq drops it): the check compared names literally, the file was installed, and
// the receiving v5 FTL stopped at its reload ("CNAME loop involving loop.lan"), so this
// node answered no DNS at all. Now refused before anything changes.
TEST(HostileText, ACnameFileThatStopsDnsmasqThroughATrailingDotIsRefused) {
  Lab lab;
  const std::string before = read_text(lab.cname("secondary"));
  for (const char* bad : {"cname=files.lan,nas.lan\ncname=loop.lan,loop.lan.\n",
                          "cname=files.lan,nas.lan\ncname=dup.lan,nas.lan\ncname=dup.lan.,files.lan\n"}) {
    SCOPED_TRACE(bad);
    write_text(lab.cname("primary"), bad);
    auto r = lab.run({"pull", "--only", "cname"});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    EXPECT_EQ(read_text(lab.cname("secondary")), before);
    EXPECT_EQ(lab.dig("secondary", "files.lan"), "NOERROR nas.lan. 192.168.1.10");
  }
}

// A pihole.toml with a dotted key 100,000 components deep (200 KB, far under the cap),
// planted by the peer or by this node's pihole user: toml++ recursed until gravity-sync
// died of SIGSEGV, in every run and daemon cycle. Now refused (exit 5) naming the file.
TEST(HostileText, APiholeTomlNestedTooDeepIsRefusedOnEitherNode) {
  Lab lab({"--v6", "primary", "--v6", "secondary"});
  std::string deep = "\n[zz]\n";
  for (int i = 0; i < 100000; ++i) deep += "x.";
  deep += "y = 1\n";
  for (const char* node : {"primary", "secondary"}) {
    SCOPED_TRACE(node);
    lab.node_command("stop", node);  // FTL need not read it: the pihole user can write it anyway
    const std::string toml = lab.toml(node);
    const std::string text = read_text(toml);
    write_text(toml, text + deep);
    for (const char* command : {"compare", "sync"}) {
      auto r = lab.run({"--json", command, "--only", "custom-dns"});
      EXPECT_EQ(r.code, 5) << command << ": " << r.out << r.err;
      EXPECT_NE(r.out.find("nests a key deeper than 64 levels"), std::string::npos) << r.out;
    }
    write_text(toml, text);
    lab.node_command("start", node);
  }
  EXPECT_EQ(lab.run({"compare", "--only", "custom-dns"}).code, 0);
}

// A remote whose dd is BusyBox's (as on a minimal or embedded system): it knows no
// iflag=nofollow and fails, and the pipeline that hexed its output lost that status, so
// every text item read as empty. `check` said OK, and `sync` pulled the empty items over
// this node's records (exit 0). Now a read that fails is an error, on v5 and v6 nodes.
TEST(HostileFiles, ARemoteWhoseDdCannotReadNeverPassesForAnEmptyFile) {
  const std::string busybox = "/bin/busybox";
  if (::access(busybox.c_str(), X_OK) != 0) GTEST_SKIP() << "busybox is not installed (scripts/setup installs it)";
  for (const std::vector<std::string>& args : {std::vector<std::string>{}, std::vector<std::string>{"--v6", "primary"}}) {
    SCOPED_TRACE(args.empty() ? "v5 remote" : "v6 remote");
    Lab lab(args);
    const std::string records = read_text(lab.custom_list("secondary"));
    const std::string cnames = read_text(lab.cname("secondary"));
    ASSERT_FALSE(records.empty());
    // A v5 and a v6 node: check refuses their two gravity.db versions from the start.
    const int healthy = lab.run({"check"}).code;
    EXPECT_EQ(healthy, args.empty() ? 0 : 5);
    // The remote's PATH starts with the lab's bin (tests/lab/lab): its dd is now BusyBox's.
    ASSERT_EQ(::symlink(busybox.c_str(), (lab.dir() + "/bin/dd").c_str()), 0);
    auto check = lab.run({"check"});
    EXPECT_NE(check.code, 0) << check.out << check.err;
    EXPECT_NE(check.out.find("dd"), std::string::npos) << check.out;
    for (const char* command : {"sync", "pull"}) {
      auto r = lab.run({command, "--only", "custom-dns,cname"});
      EXPECT_NE(r.code, 0) << command << ": " << r.out << r.err;
      EXPECT_EQ(read_text(lab.custom_list("secondary")), records) << command;
      EXPECT_EQ(read_text(lab.cname("secondary")), cnames) << command;
    }
    ::unlink((lab.dir() + "/bin/dd").c_str());
    EXPECT_EQ(lab.run({"check"}).code, healthy);
  }
}

// --- the last known-good version survives ----------------------------------------------

// Both ways: this node pulling the peer's changes, and pushing this node's to the peer.
TEST(HostileChanges, ManyQuickChangesFromAPeerNeverFlushTheLastGoodBackup) {
  struct Case {
    const char* from;
    const char* to;
    const char* command;
    const char* node;  // as `backups` names the node whose backups are checked
  };
  for (const Case c : {Case{"primary", "secondary", "pull", "local"}, Case{"secondary", "primary", "push", "remote"}}) {
    SCOPED_TRACE(c.command);
    Lab lab;
    std::string yaml = lab.config_text();
    yaml.replace(yaml.find("backup:\n"), 8, "backup:\n  keep: 2\n");
    lab.set_config(yaml);
    const std::string good = read_text(lab.custom_list(c.to));
    for (int i = 0; i < 6; ++i) {
      write_text(lab.custom_list(c.from), "10.6.6." + std::to_string(i) + " nas.lan\n");
      ASSERT_EQ(lab.run({c.command, "--only", "custom-dns"}).code, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct backup names
    }
    // Two newest backups, and the version from before the peer's changes.
    const Json list = lab.run({"--json", "backups"}).json();
    std::vector<std::string> contents;
    for (const auto& b : list.items()) {
      if (b["node"].as_string() != c.node || b["item"].as_string() != "custom-dns") continue;
      const std::string id = b["id"].as_string();
      contents.push_back(read_text(lab.path(c.to, "backups/custom-dns/" + id.substr(id.rfind(':') + 1) + ".list")));
    }
    ASSERT_EQ(contents.size(), 3u);
    EXPECT_EQ(contents.front(), good);
  }
}

// --- files: regular files only, private copies, nothing by a name others control ------

// A Pi-hole item that is a symbolic link, on either node, read or replaced: the link to a
// root-only file carried that file's content to the peer (and into the report); a linked
// gravity.db was replaced by a regular file, its target left stale.
TEST(HostileFiles, AnItemThatIsASymbolicLinkIsRefusedOnEitherNode) {
  struct Case {
    const char* node;     // where the link is
    const char* item;
    const char* command;  // reads it (push from secondary, pull from primary) or replaces it
  };
  const Case cases[] = {
      {"secondary", "custom-dns", "push"}, {"secondary", "custom-dns", "pull"}, {"secondary", "gravity", "push"},
      {"secondary", "gravity", "pull"},    {"primary", "custom-dns", "pull"},   {"primary", "custom-dns", "push"},
      {"primary", "gravity", "pull"},      {"primary", "gravity", "push"},
  };
  Lab lab;
  const std::string secret = lab.dir() + "/root-only";
  write_text(secret, "10.9.9.9 secret.lan\n");
  ::chmod(secret.c_str(), 0600);
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.node) + " " + c.item + " " + c.command);
    const std::string other = std::string(c.node) == "primary" ? "secondary" : "primary";
    const bool gravity = std::string(c.item) == "gravity";
    const std::string path = gravity ? lab.gravity(c.node) : lab.custom_list(c.node);
    const std::string target = gravity ? lab.dir() + "/elsewhere.db" : secret;
    if (gravity) {
      write_text(target, read_text(path));
      sqlite(target, "INSERT INTO domainlist (type, domain) VALUES (1, 'linked.example');");
    }
    ASSERT_EQ(::rename(path.c_str(), (path + ".real").c_str()), 0);
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    const std::string theirs = read_text(gravity ? lab.gravity(other) : lab.custom_list(other));
    const std::string target_before = read_text(target);

    auto r = lab.run({"--json", c.command, "--only", c.item});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    const std::string message = (*item(r.json(), c.item))["message"].as_string();
    EXPECT_NE(message.find(path + " is a symbolic link"), std::string::npos) << message;
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced";
    EXPECT_EQ(read_text(target), target_before);
    EXPECT_EQ(read_text(gravity ? lab.gravity(other) : lab.custom_list(other)), theirs);
    EXPECT_EQ(read_text(lab.path("secondary", "state/last-run.json")).find("secret.lan"), std::string::npos);

    ASSERT_EQ(::unlink(path.c_str()), 0);
    ASSERT_EQ(::rename((path + ".real").c_str(), path.c_str()), 0);
  }
}

// The remote's backup of gravity.db was written to ".gravity-sync.backup.$$" in
// /etc/pihole, which the pihole user owns: a link planted there for the coming PIDs made
// root write the database over a file of the attacker's choosing.
TEST(HostileFiles, NoNameThePiholeUserCanPredictIsWrittenOnTheRemote) {
  Lab lab;
  // An empty file of root's (SQLite writes a database into an empty file as into a new one).
  const std::string victim = lab.dir() + "/victim";
  write_text(victim, "");
  ::chmod(victim.c_str(), 0600);
  // Links for the next PIDs the kernel hands out (wrapping at pid_max).
  const long last = std::stol(read_text("/proc/sys/kernel/ns_last_pid"));
  const long pid_max = std::stol(read_text("/proc/sys/kernel/pid_max"));
  for (long i = 1; i <= std::min(pid_max, 40000L); ++i) {
    const long pid = (last + i - 1) % pid_max + 1;
    const std::string name = lab.pihole_dir("primary") + "/.gravity-sync.backup." + std::to_string(pid);
    ASSERT_EQ(::symlink(victim.c_str(), name.c_str()), 0) << name;
  }
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'pushed.example');");
  auto r = lab.run({"push", "--only", "gravity"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_text(victim).size(), 0u) << "root wrote through the planted link";
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM domainlist WHERE domain = 'pushed.example';"), "1\n");
}

// What gravity-sync creates in a directory the pihole user can write (Pi-hole's own),
// while it pulls and pushes: never a file (a copy the pihole user could swap before root
// renames, chowns or reads it); only private 0700 directories of its own and the link
// that keeps the replaced gravity.db until FTL has let go of it.
TEST(HostileFiles, NoCopyIsMadeWhereThePiholeUserCanWrite) {
  Lab lab;
  struct Case {
    const char* watched;
    const char* changed;
    const char* command;
  };
  for (const Case c : {Case{"secondary", "primary", "pull"}, Case{"primary", "secondary", "push"}}) {
    SCOPED_TRACE(c.command);
    for (const std::string item : {"gravity", "custom-dns"}) {
      if (item == "gravity") {
        sqlite(lab.gravity(c.changed), "INSERT INTO domainlist (type, domain) VALUES (1, '" + std::string(c.command) +
                                           ".example');");
      } else {
        write_text(lab.custom_list(c.changed), "10.1.1." + std::to_string(item.size()) + " " + c.command + ".lan\n");
      }
      DirWatch watch(lab.pihole_dir(c.watched));
      auto r = lab.run({c.command, "--only", item});
      ASSERT_EQ(r.code, 0) << r.out << r.err;
      for (const auto& e : watch.events()) {
        if (e.name.rfind(".gravity-sync.", 0) != 0 || !e.created) continue;
        const bool link_of_old = e.name.rfind(".gravity-sync.old.", 0) == 0;
        EXPECT_TRUE(e.directory || link_of_old) << item << ": created the file " << e.name;
        if (e.directory && e.mode != 0) {
          EXPECT_EQ(e.mode, 0700u) << e.name;
        }
      }
    }
  }
}

// Copies of the configuration are readable by root only, on both nodes.
// The pihole user renames each private directory gravity-sync makes in /etc/pihole and
// puts a link to a root-only directory in its place: `cd -P` followed it, and root wrote
// the snapshot of gravity.db (content the pihole user controls) there and left it.
TEST(HostileFiles, APrivateDirectorySwappedForALinkIsNeverUsed) {
  Lab lab;
  const std::string target = lab.dir() + "/root-only";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const std::string dir = lab.pihole_dir("primary");
  std::atomic<int> swapped{0};
  auto racer = std::make_unique<DirWatch>(dir, [&](const DirWatch::Event& e) {
    if (!e.directory || e.name.rfind(".gravity-sync.", 0) != 0) return;
    const std::string stash = dir + "/stash" + std::to_string(swapped);
    if (::rename((dir + "/" + e.name).c_str(), stash.c_str()) == 0 &&
        ::symlink(target.c_str(), (dir + "/" + e.name).c_str()) == 0) {
      ++swapped;
    }
  });
  for (int i = 0; i < 3; ++i) {
    sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'swap" + std::to_string(i) + ".example');");
    (void)lab.run({"pull", "--only", "gravity"});
    sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'push" + std::to_string(i) + ".example');");
    (void)lab.run({"push", "--only", "gravity"});
  }
  racer.reset();
  EXPECT_GT(swapped.load(), 0) << "the race never ran";
  EXPECT_EQ(list_dir(target), std::vector<std::string>{}) << "root wrote into a directory the link pointed at";
}

// The pihole user swaps gravity.db with a link to a root-only database, back and forth:
// Pi-hole's sqlite3 shell followed the link, and the secret database became this node's
// live gravity.db (mode 0664) and its backups.
TEST(HostileFiles, ADatabaseSwappedWithALinkIsNeverReadThroughIt) {
  Lab lab;
  const std::string secret = lab.dir() + "/secret.db";
  ASSERT_TRUE(copy_file(lab.gravity("primary"), secret));
  sqlite(secret, "INSERT INTO domainlist (type, domain, comment) VALUES (1, 'secret.example', 'TOPSECRET');");
  ASSERT_EQ(::chmod(secret.c_str(), 0600), 0);
  const std::string dir = lab.pihole_dir("primary");
  ASSERT_EQ(::symlink(secret.c_str(), (dir + "/lnk").c_str()), 0);
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop) {
      ::renameat2(AT_FDCWD, (dir + "/gravity.db").c_str(), AT_FDCWD, (dir + "/lnk").c_str(), RENAME_EXCHANGE);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  int pulls = 0;
  for (int i = 0; i < 15; ++i) {
    pulls += lab.run({"pull", "--only", "gravity"}).code == 0;
    EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist WHERE comment = 'TOPSECRET';"), "0\n");
  }
  stop = true;
  swapper.join();
  for (const auto& name : list_dir(lab.path("secondary", "backups/gravity"))) {
    EXPECT_EQ(sqlite(lab.path("secondary", "backups/gravity/" + name),
                     "SELECT count(*) FROM domainlist WHERE comment = 'TOPSECRET';"), "0\n") << name;
  }
  std::printf("[ info ] %d of 15 pulls went through while the names were swapped\n", pulls);
}

TEST(HostileFiles, BackupsAndStateAreReadableByRootOnly) {
  Lab lab;
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'a.example');");
  ASSERT_EQ(lab.run({"push", "--only", "gravity"}).code, 0);
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'b.example');");
  write_text(lab.custom_list("primary"), "10.1.1.1 b.lan\n");
  ASSERT_EQ(lab.run({"pull", "--only", "gravity,custom-dns"}).code, 0);
  auto mode = [](const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? static_cast<unsigned>(st.st_mode & 07777) : 0u;
  };
  int files = 0;
  for (const std::string node : {"primary", "secondary"}) {
    const std::string root = lab.path(node, "backups");
    EXPECT_EQ(mode(root), 0700u) << root;
    for (const std::string item : {"gravity", "custom-dns"}) {
      const std::string dir = root + "/" + item;
      DirHandle d(::opendir(dir.c_str()));
      if (!d) continue;
      EXPECT_EQ(mode(dir), 0700u) << dir;
      while (dirent* e = ::readdir(d.get())) {
        if (e->d_name[0] == '.') continue;
        EXPECT_EQ(mode(dir + "/" + e->d_name), 0600u) << dir << "/" << e->d_name;
        ++files;
      }
    }
  }
  EXPECT_GE(files, 3);
  for (const char* state : {"sync-state.json", "last-run.json"}) {
    EXPECT_EQ(mode(lab.path("secondary", std::string("state/") + state)), 0600u) << state;
  }
}

// --- what the remote prints --------------------------------------------------------------

// A login script on the remote that prints on stdout (here one that even imitates
// gravity-sync's old answers): its text became this node's custom.list, and every later
// run pulled again. Framed answers ignore it; `check` names it. The lab's sshd runs every
// command through a ForceCommand that prints first, as a careless ~/.bashrc does.
TEST(HostileShell, AGreetingFromTheRemoteShellNeverBecomesAFile) {
  Lab lab;
  lab.set_remote_shell("#!/bin/sh\nprintf 'Welcome to primary\\nI custom-dns 0\\nE gravity hello\\nDONE\\n'\n"
                       "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n");

  write_text(lab.custom_list("primary"), "10.0.0.7 new.lan\n");
  auto r = lab.run({"pull", "--only", "custom-dns,gravity"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.7 new.lan\n");
  EXPECT_EQ(lab.run({"compare"}).code, 0);
  auto check = lab.run({"check"});
  EXPECT_NE(check.code, 0) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find("Welcome to primary"), std::string::npos) << check.out << check.err;

  lab.set_remote_shell("");
  auto clean = lab.run({"check"});
  EXPECT_EQ(clean.code, 0) << clean.out << clean.err;
}

// A peer's text reaches this terminal and logs without control characters: here a
// pihole-FTL on the remote whose version string sets the terminal's title and clears it.
TEST(HostileShell, APeersTextNeverReachesTheTerminalWithControlCharacters) {
  Lab lab;
  const std::string shim = lab.path("primary", "shim/pihole-FTL");
  std::string text = read_text(shim);
  text.insert(text.find('\n') + 1,
              "if [ \"$1\" = -v ]; then printf 'v5.25.2\\033]0;pwned\\007\\033[2J\\233m\\n'; exit 0; fi\n");
  write_text(shim, text, 0755);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"check"}, {"--json", "check"}, {"-v", "compare"}}) {
    auto r = lab.run(args);
    const std::string all = r.out + r.err;
    if (args.back() == "check") {
      EXPECT_NE(all.find("v5.25.2"), std::string::npos) << all;
    }
    for (char c : all) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_FALSE(u == 0x1b || u == 0x07 || u == 0x9b) << args.back() << ": control byte " << int(u) << " in " << all;
    }
  }
}

// Remote paths with spaces: answers that put a path before another word broke (tables
// mode, restore).
TEST(HostileShell, RemotePathsWithSpacesWork) {
  Lab lab;
  // Both nodes' Pi-hole directories reached through a link with a space in its name.
  std::string yaml = lab.config_text();
  for (const std::string node : {"primary", "secondary"}) {
    const std::string spaced = lab.path(node, "etc pihole");
    ASSERT_EQ(::symlink(lab.pihole_dir(node).c_str(), spaced.c_str()), 0);
    const std::string from = "pihole_dir: " + lab.pihole_dir(node) + "\n";
    yaml.replace(yaml.find(from), from.size(), "pihole_dir: " + spaced + "\n");
  }
  const std::string backups = "backup_dir: " + lab.path("primary", "backups") + "\n";
  yaml.replace(yaml.find(backups), backups.size(), "backup_dir: " + lab.path("primary", "back ups") + "\n");
  lab.set_config(yaml);
  lab.set_sync_option("gravity_mode: tables");
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'spaced.example');");
  auto pushed = lab.run({"push", "--only", "gravity"});
  ASSERT_EQ(pushed.code, 0) << pushed.out << pushed.err;
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM domainlist WHERE domain = 'spaced.example';"), "1\n");
  std::string id;
  const Json listed = lab.run({"--json", "backups"}).json();
  for (const auto& b : listed.items()) {
    if (b["node"].as_string() == "remote" && b["item"].as_string() == "gravity") id = b["id"].as_string();
  }
  ASSERT_FALSE(id.empty());
  auto restored = lab.run({"restore", id});
  ASSERT_EQ(restored.code, 0) << restored.out << restored.err;
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM domainlist WHERE domain = 'spaced.example';"), "0\n");
  EXPECT_EQ(lab.run({"pull", "--only", "gravity"}).code, 0);
}

}  // namespace
}  // namespace gs::test
