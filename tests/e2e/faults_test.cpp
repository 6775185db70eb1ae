// Issue 3's fault cases: each ends with the contract's exit code and the untouched
// side's files byte for byte as before.
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

extern char** environ;

namespace gs::test {
namespace {

using Clock = std::chrono::steady_clock;

// Byte-for-byte snapshots of both trees' live files.
struct Snapshot {
  explicit Snapshot(const Lab& lab) {
    for (const std::string node : {"primary", "secondary"}) {
      for (const auto& path : {lab.gravity(node), lab.custom_list(node), lab.cname(node), lab.dhcp(node)}) {
        files[path] = read_text(path);
      }
    }
  }
  std::map<std::string, std::string> files;
  void expect_unchanged(const std::string& which) const {
    for (const auto& [path, content] : files) {
      if (path.find("/" + which + "/") == std::string::npos) continue;
      EXPECT_TRUE(read_text(path) == content) << path << " changed";
    }
  }
};

int count_temp_files(const std::string& dir) {
  int n = 0;
  DirHandle d(::opendir(dir.c_str()));
  while (d && ::readdir(d.get())) {
  }
  d.reset(::opendir(dir.c_str()));
  if (!d) return 0;
  while (dirent* e = ::readdir(d.get())) {
    if (std::string(e->d_name).rfind(".gravity-sync.", 0) == 0) ++n;
  }
  return n;
}

// Start gravity-sync in the background.
pid_t spawn(const Lab& lab, const std::vector<std::string>& args) {
  std::vector<std::string> argv{GS_BINARY, "-q", "-c", lab.config()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> p;
  for (auto& a : argv) p.push_back(a.data());
  p.push_back(nullptr);
  pid_t pid = 0;
  EXPECT_EQ(::posix_spawn(&pid, GS_BINARY, nullptr, nullptr, p.data(), environ), 0);
  return pid;
}

// Hold an flock on `path` for `seconds` from another process group, as another
// gravity-sync run would. kill(-pid) ends it early; wait with waitpid(pid).
pid_t hold_lock(const std::string& path, int seconds) {
  pid_t holder = ::fork();
  if (holder == 0) {
    ::setpgid(0, 0);
    const std::string secs = std::to_string(seconds);
    ::execlp("flock", "flock", path.c_str(), "sleep", secs.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it take the lock
  return holder;
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = lab.run({"sync"});
    ASSERT_EQ(r.code, 0) << r.err;
    lab.clear_calls();
  }
  Lab lab;
};

TEST_F(Faults, AFreshInstallRemoteNeverReplacesConfiguration) {
  const std::string db = lab.gravity("primary");
  ::unlink(db.c_str());
  sqlite(db, fixture("gravity-v15.sql"));
  sqlite(db, "INSERT INTO adlist (address) VALUES ('https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts');");
  Snapshot before(lab);
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("fresh Pi-hole install"), std::string::npos) << r.out;
  before.expect_unchanged("secondary");
  EXPECT_TRUE(lab.reloads("secondary").empty());
  // --force is the way to mean it.
  auto forced = lab.run({"sync", "--force"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist;"), "0\n");
}

TEST_F(Faults, ACorruptRemoteDatabaseIsRefused) {
  const std::string db = lab.gravity("primary");
  auto bytes = read_text(db);
  for (size_t i = 4096; i < bytes.size(); i += 4096) {
    for (size_t j = 100; j < 300; ++j) bytes[i + j] = static_cast<char>(0xA5);
  }
  write_text(db, bytes, 0664);
  Snapshot before(lab);
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  before.expect_unchanged("secondary");
  EXPECT_EQ(r.json()["error"]["code"].as_int(), 5);
  EXPECT_EQ(lab.run({"compare"}).code, 5);
}

TEST_F(Faults, ACopyThatFailsItsIntegrityCheckIsRefused) {
  // Damage only the gravity table's pages: the configuration digest still reads, the
  // snapshot copies the damage, and the receiving side's integrity_check catches it.
  const std::string db = lab.gravity("primary");
  sqlite(db, "INSERT INTO domainlist (type, domain) VALUES (1, 'new.example');");
  const auto root = sqlite(db, "SELECT rootpage FROM sqlite_master WHERE name = 'idx_gravity';");
  const long page = std::stol(root);
  auto bytes = read_text(db);
  const size_t at = static_cast<size_t>(page - 1) * 4096;
  ASSERT_LT(at + 4096, bytes.size());
  for (size_t j = 8; j < 4000; ++j) bytes[at + j] = static_cast<char>(j);
  write_text(db, bytes, 0664);
  Snapshot before(lab);
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  before.expect_unchanged("secondary");
  EXPECT_NE(r.err.find("integrity"), std::string::npos) << r.err;
  EXPECT_EQ(count_temp_files(lab.pihole_dir("secondary")), 0);
  EXPECT_EQ(count_temp_files(lab.pihole_dir("primary")), 0);
  // The backup taken while the copy was checked is gone again: nothing was replaced.
  auto listed = lab.run({"--json", "backups"});
  const Json entries = listed.json();
  for (const auto& b : entries.items()) EXPECT_NE(b["node"].as_string(), "local") << listed.out;
}

TEST_F(Faults, ADatabaseWithoutPiholeTablesIsRefused) {
  const std::string db = lab.gravity("primary");
  ::unlink(db.c_str());
  sqlite(db, "CREATE TABLE info (property TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO info VALUES ('version', '15');");
  Snapshot before(lab);
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("is not Pi-hole's gravity database of schema 15"), std::string::npos) << r.out << r.err;
  before.expect_unchanged("secondary");
}

TEST_F(Faults, ADifferentSchemaVersionIsRefused) {
  const std::string db = lab.gravity("primary");
  ::unlink(db.c_str());
  make_gravity_db(db, "gravity-v19.sql");
  Snapshot before(lab);
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("update Pi-hole on both nodes"), std::string::npos) << r.out;
  before.expect_unchanged("secondary");
  // Even `pull`, which otherwise ignores history, refuses.
  EXPECT_EQ(lab.run({"pull", "--only", "gravity"}).code, 5);
  before.expect_unchanged("secondary");
}

TEST_F(Faults, AnInjectedDnsmasqDirectiveIsRefused) {
  write_text(lab.cname("primary"), "cname=files.lan,nas.lan\ndhcp-script=/tmp/evil.sh\n");
  write_text(lab.dhcp("primary"), "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\nconf-dir=/tmp/evil\n");
  write_text(lab.custom_list("primary"), "192.168.1.10 nas.lan\naddress=/#/0.0.0.0\n");
  Snapshot before(lab);
  auto r = lab.run({"--json", "sync", "--only", "cname,static-dhcp,custom-dns"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  before.expect_unchanged("secondary");
  const Json doc = r.json();
  for (const auto& i : doc["items"].items()) EXPECT_EQ(i["result"].as_string(), "refused");
  // The refusal names the line; the file's content reaches no message, JSON or state file.
  EXPECT_NE(r.err.find("cname line 2 is not"), std::string::npos) << r.err;
  const std::string last_run = read_text(lab.dir() + "/secondary/state/last-run.json");
  for (const std::string& text : {r.err, r.out, last_run}) {
    for (const char* content : {"dhcp-script", "/tmp/evil", "address=/#/"}) {
      EXPECT_EQ(text.find(content), std::string::npos) << content << " in: " << text;
    }
  }
  EXPECT_TRUE(lab.reloads("secondary").empty());
}

TEST_F(Faults, OneBadItemDoesNotStopTheOthers) {
  write_text(lab.cname("primary"), "cname=files.lan,nas.lan\ndhcp-script=/tmp/evil.sh\n");
  write_text(lab.custom_list("primary"), "10.0.0.1 good.lan\n");
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 good.lan\n");
  EXPECT_EQ(read_text(lab.cname("secondary")), "cname=files.lan,nas.lan\n");
}

TEST_F(Faults, AHotJournalIsRolledBackIntoTheOldFileNeverTheNewOne) {
  const std::string db = lab.gravity("secondary");
  const auto rows = sqlite(db, "SELECT count(*) FROM gravity;");
  // A writer killed mid-transaction leaves a hot journal beside the live file.
  pid_t writer = ::fork();
  if (writer == 0) {
    ::setpgid(0, 0);  // so its `.system sleep` dies with it
    ::execlp("sqlite3", "sqlite3", db.c_str(), "PRAGMA cache_size = 1;", "BEGIN;", "DELETE FROM gravity;",
             "UPDATE domainlist SET comment = 'half-done';", ".system sleep 30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!(stat_file(db + "-journal")->exists && stat_file(db + "-journal")->size > 0) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(-writer, SIGKILL);
  ::waitpid(writer, nullptr, 0);
  ASSERT_GT(stat_file(db + "-journal")->size, 0u) << "the lab could not make a hot journal";

  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'after-journal.example');");
  auto r = lab.run({"--json", "sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto journal = *stat_file(db + "-journal");
  EXPECT_FALSE(journal.exists && journal.size > 0) << "a hot journal survived next to the new file";
  EXPECT_EQ(sqlite(db, "PRAGMA integrity_check;"), "ok\n");
  EXPECT_EQ(sqlite(db, "SELECT count(*) FROM domainlist WHERE domain = 'after-journal.example';"), "1\n");
  // The backup holds the old file as the journal left it: rolled back, whole.
  std::string backup_path;
  const Json list = lab.run({"--json", "backups"}).json();
  for (const auto& b : list.items()) {
    if (b["node"].as_string() == "local" && b["item"].as_string() == "gravity") {
      backup_path = lab.path("secondary", "backups/gravity/" + b["id"].as_string().substr(std::string("local:gravity:").size()) + ".db");
    }
  }
  ASSERT_FALSE(backup_path.empty());
  EXPECT_EQ(sqlite(backup_path, "SELECT count(*) FROM gravity;"), rows);
  EXPECT_EQ(sqlite(backup_path, "SELECT count(*) FROM domainlist WHERE comment = 'half-done';"), "0\n");
}

// A writer holds SQLite's write lock (BEGIN IMMEDIATE, nothing written yet: no journal)
// when the swap comes. The swap waits for it under the write lock of its own, on either
// node, so no writer can start between the check for a journal and the rename: the live
// file the writer sees just before it commits is still the one it began on. Before, the
// remote swap only looked for a journal and renamed at once, under the writer.
TEST_F(Faults, TheSwapWaitsForAWriterOnEitherNode) {
  struct Case {
    const char* receiver;
    const char* command;
  };
  for (const Case c : {Case{"secondary", "pull"}, Case{"primary", "push"}}) {
    SCOPED_TRACE(c.receiver);
    const std::string sender = std::string(c.receiver) == "secondary" ? "primary" : "secondary";
    const std::string db = lab.gravity(c.receiver);
    const std::string marker = std::string("swapped-") + c.receiver + ".example";
    sqlite(lab.gravity(sender), "INSERT INTO domainlist (type, domain) VALUES (1, '" + marker + "');");
    const uint64_t inode_before = stat_file(db)->inode;
    const std::string seen = lab.dir() + "/inode-at-commit";
    ::unlink(seen.c_str());
    pid_t writer = ::fork();
    if (writer == 0) {
      ::setpgid(0, 0);
      const std::string look = ".system stat -c %i " + db + " > " + seen;
      ::execlp("sqlite3", "sqlite3", db.c_str(), "BEGIN IMMEDIATE;", ".system sleep 4", look.c_str(), "COMMIT;",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it take the lock
    auto r = lab.run({c.command});
    int status = 0;
    ::waitpid(writer, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the writer failed";
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(read_text(seen), std::to_string(inode_before) + "\n") << "the file was swapped under the writer";
    EXPECT_NE(stat_file(db)->inode, inode_before) << "the new file went in after the writer";
    auto journal = *stat_file(db + "-journal");
    EXPECT_FALSE(journal.exists && journal.size > 0) << "a journal lies beside the new file";
    EXPECT_EQ(sqlite(db, "PRAGMA integrity_check;"), "ok\n");
    EXPECT_EQ(sqlite(db, "SELECT count(*) FROM domainlist WHERE domain = '" + marker + "';"), "1\n");
  }
}

// Room for the backup is checked on the remote too, before anything is written there: a
// restore whose backup of the live database would not fit is refused (exit 5), the live
// file untouched and no partial backup left.
TEST_F(Faults, NoRoomForTheRemoteBackupIsRefusedBeforeAnythingIsWritten) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const std::string backups = lab.path("primary", "backups");
  ASSERT_TRUE(make_dirs(backups).ok());
  if (::mount("tmpfs", backups.c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0) GTEST_SKIP() << "cannot mount tmpfs";
  struct Unmount {
    std::string d;
    ~Unmount() { ::umount2(d.c_str(), MNT_DETACH); }
  } unmount{backups};
  // A push keeps a backup of the remote's database; then the remote database grows.
  sqlite(lab.gravity("secondary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'first.example');");
  ASSERT_EQ(lab.run({"push"}).code, 0);
  grow_gravity(lab.gravity("secondary"), 60000, "grown.example");
  ASSERT_EQ(lab.run({"push"}).code, 0);
  std::string id;
  const Json listed = lab.run({"--json", "backups"}).json();
  for (const auto& b : listed.items()) {
    if (b["node"].as_string() == "remote" && b["item"].as_string() == "gravity" && id.empty()) id = b["id"].as_string();
  }
  ASSERT_FALSE(id.empty()) << listed.dump();
  // Fill the backup filesystem until half the live database would still fit.
  const uint64_t live = stat_file(lab.gravity("primary"))->size;
  const uint64_t room = *free_space(backups);
  ASSERT_GT(room, live);
  write_text(backups + "/filler", std::string(room - live / 2, 'x'));
  const std::string before = read_text(lab.gravity("primary"));
  auto r = lab.run({"restore", id});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("not enough disk space"), std::string::npos) << r.err;
  EXPECT_TRUE(read_text(lab.gravity("primary")) == before) << "the live database changed";
  EXPECT_EQ(count_temp_files(backups + "/gravity"), 0);
  EXPECT_EQ(count_temp_files(lab.pihole_dir("primary")), 0);
}

TEST_F(Faults, KillDuringALargeTransferThenACleanRerun) {
  // A bigger database so the transfer takes a while.
  const std::string db = lab.gravity("primary");
  grow_gravity(db, 600000, "big.example");
  Snapshot before(lab);
  // The staged copy is made in gravity-sync's private directory, then renamed into place.
  const std::string dir = lab.dir() + "/secondary/state/tmp";
  pid_t pid = spawn(lab, {"sync"});
  // Kill it the moment its staged copy appears.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (count_temp_files(dir) == 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  before.expect_unchanged("secondary");
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "PRAGMA integrity_check;"), "ok\n");

  auto r = lab.run({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(count_temp_files(dir), 0) << "the rerun removes what the killed run left";
  EXPECT_EQ(count_temp_files(lab.pihole_dir("secondary")), 0);
  EXPECT_EQ(count_temp_files(lab.pihole_dir("primary")), 0);
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist WHERE domain = 'big.example';"), "1\n");
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST_F(Faults, KillDuringAPushThenACleanRerun) {
  const std::string db = lab.gravity("secondary");
  grow_gravity(db, 600000, "pushed-big.example");
  Snapshot before(lab);
  const std::string remote_dir = lab.pihole_dir("primary");
  pid_t pid = spawn(lab, {"sync"});
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (count_temp_files(remote_dir) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  before.expect_unchanged("primary");
  auto r = lab.run({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(count_temp_files(remote_dir), 0);
  EXPECT_EQ(sqlite(lab.gravity("primary"), "SELECT count(*) FROM domainlist WHERE domain = 'pushed-big.example';"), "1\n");
}

TEST_F(Faults, ASecondRunWaitsForTheLock) {
  // Hold this node's lock for 3 s from outside, as another gravity-sync would.
  pid_t holder = hold_lock(lab.path("secondary", "state/gravity-sync.lock"), 3);
  write_text(lab.custom_list("primary"), "10.0.0.1 waited.lan\n");
  const auto start = Clock::now();
  auto r = lab.run({"sync"});
  const auto took = Clock::now() - start;
  ::waitpid(holder, nullptr, 0);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_GE(took, std::chrono::seconds(2));
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 waited.lan\n");
  // compare takes no lock.
}

TEST_F(Faults, ALockHeldForMoreThanAMinuteExits7) {
  pid_t holder = hold_lock(lab.path("secondary", "state/gravity-sync.lock"), 75);
  Snapshot before(lab);
  write_text(lab.custom_list("primary"), "10.0.0.1 never.lan\n");
  EXPECT_EQ(lab.run({"compare"}).code, 1) << "compare takes no lock";
  auto r = lab.run({"--json", "sync"});
  ::kill(-holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_EQ(r.json()["error"]["code"].as_int(), 7);
  before.expect_unchanged("secondary");
}

TEST_F(Faults, TheRemoteLockIsTakenWhileChangingTheRemote) {
  // Another gravity-sync working on the primary holds its lock there.
  pid_t holder = hold_lock(lab.path("primary", "gravity-sync.lock"), 3);
  write_text(lab.custom_list("secondary"), "10.0.0.2 pushed.lan\n");
  const auto start = Clock::now();
  auto r = lab.run({"sync"});
  const auto took = Clock::now() - start;
  ::waitpid(holder, nullptr, 0);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_GE(took, std::chrono::seconds(2)) << "the push waited for the remote lock";
  EXPECT_EQ(read_text(lab.custom_list("primary")), "10.0.0.2 pushed.lan\n");
}

TEST_F(Faults, PiholeMissingOnEitherNodeIsRefusedNotCreated) {
  // A file missing from Pi-hole's directory is a new node; the directory missing is no Pi-hole.
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("primary/etc-pihole\n"), 19, "primary/etc-nothing\n");
  lab.set_config(yaml);
  Snapshot before(lab);
  auto cmp = lab.run({"--json", "compare"});
  EXPECT_EQ(cmp.code, 5) << cmp.out;
  EXPECT_NE(cmp.out.find("Pi-hole is missing there"), std::string::npos) << cmp.out;
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_FALSE(stat_file(lab.path("primary", "etc-nothing"))->exists);
  before.expect_unchanged("secondary");
  // And on this node: the dnsmasq directory gone.
  lab.set_config(lab.config_text().replace(lab.config_text().find("primary/etc-nothing\n"), 19, "primary/etc-pihole\n"));
  ASSERT_EQ(::rename(lab.dnsmasq_dir("secondary").c_str(), lab.path("secondary", "dnsmasq.gone").c_str()), 0);
  auto local = lab.run({"sync", "--only", "cname"});
  EXPECT_EQ(local.code, 5) << local.out << local.err;
  EXPECT_NE(local.out.find("Pi-hole is missing here"), std::string::npos) << local.out;
}

TEST_F(Faults, AChangedHostKeyStopsTheRunBeforeAnyItem) {
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("keys/known_hosts"), 16, "keys/known_hosts.wrong");
  lab.set_config(yaml);
  write_text(lab.custom_list("primary"), "10.0.0.1 x.lan\n");
  Snapshot before(lab);
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.json()["error"]["code"].as_int(), 4);
  before.expect_unchanged("secondary");
}

TEST_F(Faults, AnUnreachableRemoteExits3) {
  lab.script({"sshd-stop"});
  Snapshot before(lab);
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.json()["error"]["code"].as_int(), 3);
  before.expect_unchanged("secondary");
  auto st = lab.run({"--json", "status"}).json();
  EXPECT_EQ(st["last_run"]["exit_code"].as_int(), 3);
}

}  // namespace
}  // namespace gs::test
