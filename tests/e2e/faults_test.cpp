// Issue 3's fault cases: each ends with the contract's exit code and the untouched
// side's files byte for byte as before.
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <filesystem>
#include <functional>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/process.hpp"
#include "gravity_sync/util/shell.hpp"
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
  std::vector<std::string> argv{binary_under_test(), "-q", "-c", lab.config()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> p;
  for (auto& a : argv) p.push_back(a.data());
  p.push_back(nullptr);
  pid_t pid = 0;
  EXPECT_EQ(::posix_spawn(&pid, argv[0].c_str(), nullptr, nullptr, p.data(), environ), 0);
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

TEST_F(Faults, AReinstalledPrimaryNeverWipesItsPartnersRecords) {
  // A reinstalled primary: a fresh gravity.db, an empty custom.list and CNAME file. It is
  // a fresh node for every item (CONTRACT.md "Missing, empty, fresh").
  const std::string db = lab.gravity("primary");
  ::unlink(db.c_str());
  sqlite(db, fixture("gravity-v15.sql"));
  sqlite(db, "INSERT INTO adlist (address) VALUES ('https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts');");
  write_text(lab.custom_list("primary"), "");
  write_text(lab.cname("primary"), "# nothing here yet\n");
  Snapshot before(lab);
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  const Json doc = r.json();
  for (const char* item : {"custom-dns", "cname"}) {
    bool seen = false;
    for (const auto& it : doc["items"].items()) {
      if (it["name"].as_string() != item) continue;
      seen = true;
      const std::string message = it["message"].as_string();
      EXPECT_NE(message.find("fresh Pi-hole install"), std::string::npos) << item << ": " << message;
      EXPECT_NE(message.find(std::string("empty ") + item + " would wipe"), std::string::npos) << message;
    }
    EXPECT_TRUE(seen) << item << " in " << r.out;
  }
  before.expect_unchanged("secondary");
  EXPECT_TRUE(lab.reloads("secondary").empty());
  // --force is the way to mean it.
  auto forced = lab.run({"sync", "--force"});
  EXPECT_EQ(forced.code, 0) << forced.out << forced.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "");
}

TEST_F(Faults, ANodeWhoseGravityDbCannotBeReadNeverWipesItsPartnersRecordsEither) {
  // It may be a fresh install: a damaged gravity.db, or one locked by `pihole -g`.
  std::string bytes = read_text(lab.gravity("primary"));
  for (size_t i = 0; i < 100; ++i) bytes[i] = 'x';
  write_text(lab.gravity("primary"), bytes, 0664);
  write_text(lab.custom_list("primary"), "");
  Snapshot before(lab);
  auto r = lab.run({"sync", "--only", "custom-dns"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("may be a fresh Pi-hole install"), std::string::npos) << r.err;
  before.expect_unchanged("secondary");
}

TEST_F(Faults, ANodeWithConfigurationMayEmptyItsRecords) {
  // Not fresh: an emptied custom.list is a real change and travels.
  write_text(lab.custom_list("primary"), "");
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "");
}

TEST_F(Faults, AGravityDbLockedByAWriterIsWaitedForOnEitherNode) {
  // A writer (pihole -g's last step, the web interface) holds gravity.db for 2 s: the
  // digest waits for it as SQLite's busy timeout says, the same on both nodes.
  for (const char* node : {"primary", "secondary"}) {
    SCOPED_TRACE(node);
    sqlite(lab.gravity("primary"), std::string("INSERT INTO domainlist (type, domain) VALUES (1, 'locked-") + node +
                                       ".example');");
    std::thread writer([&] {
      (void)run_shell("(echo 'BEGIN EXCLUSIVE;'; sleep 2; echo 'COMMIT;') | sqlite3 " + shell_quote(lab.gravity(node)));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto r = lab.run({"sync"});
    writer.join();
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(sqlite(lab.gravity("secondary"),
                     std::string("SELECT count(*) FROM domainlist WHERE domain = 'locked-") + node + ".example';"),
              "1\n");
  }
}

TEST_F(Faults, NothingIsSwappedInOnANodeWhoseReloadCannotRun) {
  // The remote's pihole_command is not there: sync refuses before anything changes there.
  lab.set_node_command("primary", "pihole_command", "/nonexistent/pihole");
  write_text(lab.custom_list("secondary"), "192.168.1.10 nas.lan\n10.2.2.2 preflight.lan\n");
  Snapshot before(lab);
  auto r = lab.run({"sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("/nonexistent/pihole not found there"), std::string::npos) << r.out << r.err;
  before.expect_unchanged("primary");
}

TEST_F(Faults, AReloadThatFailsAfterTheSwapIsPendingUntilItRuns) {
  // The remote's `pihole` fails while a flag file exists (a broken Pi-hole script, a full
  // /run): the file is swapped in, the reload fails, and every later run retries it first.
  const std::string flag = lab.breakable_flag();
  lab.make_remote_pihole_breakable();
  write_text(flag, "");
  write_text(lab.custom_list("secondary"), "192.168.1.10 nas.lan\n10.3.3.3 pending.lan\n");
  auto first = lab.run({"--json", "sync"});
  EXPECT_EQ(first.code, 8) << first.out << first.err;
  EXPECT_EQ(read_text(lab.custom_list("primary")), read_text(lab.custom_list("secondary"))) << "swapped in";
  EXPECT_EQ(lab.dig("primary", "pending.lan"), "NXDOMAIN") << "not served: the reload failed";
  // Later runs: in sync, yet the reload is owed and the item stays failed.
  auto again = lab.run({"--json", "sync"});
  EXPECT_EQ(again.code, 8) << again.out << again.err;
  EXPECT_NE(again.out.find("reload has been pending since"), std::string::npos) << again.out;
  EXPECT_EQ(lab.run({"compare"}).code, 8);
  auto status = lab.run({"status"});
  EXPECT_NE(status.out.find("pending: the remote node's reload (dns) for custom-dns has failed since"),
            std::string::npos)
      << status.out;
  const Json owed = lab.run({"--json", "status"}).json()["pending_reloads"];
  ASSERT_EQ(owed.items().size(), 1u);
  EXPECT_EQ(owed.items()[0]["node"].as_string(), "remote");
  // Pi-hole repaired: the next run's retry applies it, and all is well again.
  ::unlink(flag.c_str());
  auto fixed = lab.run({"sync"});
  EXPECT_EQ(fixed.code, 0) << fixed.out << fixed.err;
  EXPECT_EQ(lab.dig_until("primary", "pending.lan", "NOERROR 10.3.3.3"), "NOERROR 10.3.3.3");
  EXPECT_EQ(lab.run({"sync"}).code, 0);
  EXPECT_EQ(lab.run({"compare"}).code, 0);
  EXPECT_TRUE(lab.run({"--json", "status"}).json()["pending_reloads"].items().empty());
}

TEST_F(Faults, CheckFailsWhereSyncCouldNotWork) {
  // Each thing sync needs on the remote, broken in turn: check names it and fails, where it
  // used to say OK.
  const std::string no_sqlite = lab.dir() + "/ftl-without-sqlite3";
  write_text(no_sqlite,
             "#!/bin/sh\nif [ \"$1\" = sqlite3 ]; then echo 'pihole-FTL: unknown option' >&2; exit 1; fi\nexec " +
                 shell_quote(lab.path("primary", "shim/pihole-FTL")) + " \"$@\"\n",
             0755);
  const std::string original = lab.config_text();
  struct Case {
    const char* what;
    const char* key;
    std::string command;
    const char* named;
  };
  const Case cases[] = {
      {"a pihole-FTL without sqlite3: no digest, no schema", "ftl_command", no_sqlite, "gravity"},
      {"no pihole command: nothing could be reloaded", "pihole_command", "/nonexistent/pihole", "/nonexistent/pihole"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    lab.set_config(original);
    lab.set_node_command("primary", c.key, c.command);
    auto r = lab.run({"check"});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    EXPECT_NE(r.out.find("check: FAILED"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.named), std::string::npos) << r.out;
  }
  lab.set_config(original);
  EXPECT_EQ(lab.run({"check"}).code, 0);
  // A text item sync would refuse: a CNAME loop here (dnsmasq would not start with it).
  const std::string cnames = read_text(lab.cname("secondary"));
  write_text(lab.cname("secondary"), cnames + "cname=loop.lan,loop.lan\n");
  auto looped = lab.run({"check"});
  EXPECT_EQ(looped.code, 5) << looped.out << looped.err;
  EXPECT_NE(looped.out.find("cname line 2"), std::string::npos) << looped.out;
  write_text(lab.cname("secondary"), cnames);
  EXPECT_EQ(lab.run({"check"}).code, 0);
}

TEST_F(Faults, CheckFailsWhereALockOrABackupCouldNotBeKept) {
  // The lock and the backup directories of each node, broken in turn: check names the path
  // with the code sync would end with, takes no lock and creates nothing.
  const std::string local_backups = lab.path("secondary", "backups");
  const std::string local_lock = lab.path("secondary", "state/gravity-sync.lock");
  const std::string remote_backups = lab.path("primary", "backups");
  const std::string remote_lock = lab.path("primary", "gravity-sync.lock");
  auto remove = [](const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);  // a symbolic link itself, never what it names
    ASSERT_FALSE(ec) << path << ": " << ec.message();
  };
  struct Case {
    const char* what;
    std::string path;
    std::function<void(const std::string&)> breaks;
    int code;
  };
  auto a_link = [&](const std::string& p) { ASSERT_EQ(::symlink(lab.dir().c_str(), p.c_str()), 0); };
  auto a_file = [&](const std::string& p) { write_text(p, "not a directory\n", 0600); };
  auto a_directory = [&](const std::string& p) { ASSERT_TRUE(make_dirs(p + "/x").ok()); };
  auto anothers = [&](const std::string& p) {
    ASSERT_TRUE(make_dirs(p, 0700).ok());
    ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  };
  std::vector<Case> cases = {
      {"local backup_dir a symbolic link", local_backups, a_link, 5},
      {"remote backup_dir a symbolic link", remote_backups, a_link, 5},
      {"local backup_dir a file", local_backups, a_file, 5},
      {"remote backup_dir a file", remote_backups, a_file, 5},
      {"remote gravity backups a file", remote_backups + "/gravity", a_file, 5},
      {"local lock a symbolic link", local_lock, a_link, 5},
      {"remote lock a symbolic link", remote_lock, a_link, 5},
      {"local lock a directory", local_lock, a_directory, 5},
      {"remote lock a directory", remote_lock, a_directory, 5},
  };
  if (::geteuid() == 0) {
    cases.push_back({"local backup_dir another user's", local_backups, anothers, 5});
    cases.push_back({"remote backup_dir another user's", remote_backups, anothers, 5});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    remove(c.path);
    ASSERT_TRUE(make_dirs(dir_name(c.path)).ok());
    c.breaks(c.path);
    auto r = lab.run({"check"});
    EXPECT_EQ(r.code, c.code) << r.out << r.err;
    EXPECT_NE(r.out.find("check: FAILED"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.path), std::string::npos) << r.out;
    remove(c.path);
  }
  // Nothing missing is made by check: neither backup directory nor either lock.
  for (const auto& p : {local_backups, remote_backups, local_lock, remote_lock}) remove(p);
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  for (const auto& p : {local_backups, remote_backups, local_lock, remote_lock}) {
    EXPECT_FALSE(stat_file(p, Follow::no)->exists) << p << " was made by check";
  }
  // A backup directory on a read-only filesystem cannot be written: exit 8, as sync's.
  if (::geteuid() != 0) return;
  for (const auto& dir : {local_backups, remote_backups}) {
    SCOPED_TRACE(dir);
    ASSERT_TRUE(make_dirs(dir, 0700).ok());
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_RDONLY, "size=64m,mode=0700") != 0) GTEST_SKIP() << "cannot mount";
    auto ro = lab.run({"check"});
    ::umount2(dir.c_str(), MNT_DETACH);
    EXPECT_EQ(ro.code, 8) << ro.out << ro.err;
    EXPECT_NE(ro.out.find(dir), std::string::npos) << ro.out;
  }
  EXPECT_EQ(lab.run({"sync"}).code, 0);
}

// What an attack on `check` found it passing (exit 0) while sync then failed: each case
// now fails check with the code sync ends with, naming the cause; then it is undone.
TEST_F(Faults, CheckFailsWhereAStagingAreaStateFileCommandOrFtlWouldStopSync) {
  const std::string state = lab.path("secondary", "state");
  const std::string fifo = lab.path("primary", "gravity-sync.lock");
  std::string history;  // sync-state.json, while a directory stands in its place
  struct Case {
    const char* what;
    std::function<void()> breaks;
    std::function<void()> undoes;
    int code;
    std::string named;
  };
  const std::vector<Case> cases = {
      {"the staging area a file", [&] { write_text(state + "/tmp", "x", 0600); },
       [&] { ::unlink((state + "/tmp").c_str()); }, 5, state + "/tmp"},
      {"sync-state.json a directory",
       [&] {
         history = read_text(state + "/sync-state.json");
         ::unlink((state + "/sync-state.json").c_str());
         ASSERT_TRUE(make_dirs(state + "/sync-state.json").ok());
       },
       [&] {
         ::rmdir((state + "/sync-state.json").c_str());
         write_text(state + "/sync-state.json", history, 0600);
       },
       5, state + "/sync-state.json"},
      {"the remote pihole command not executable",
       [&] { ASSERT_EQ(::chmod(lab.path("primary", "shim/pihole").c_str(), 0644), 0); },
       [&] { ASSERT_EQ(::chmod(lab.path("primary", "shim/pihole").c_str(), 0755), 0); }, 5, "pihole"},
      {"the local pihole-FTL stopped", [&] { lab.node_command("stop", "secondary"); },
       [&] { lab.node_command("start", "secondary"); }, 8, "pihole-FTL is not running"},
      {"the remote lock a FIFO", [&] { ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0); },
       [&] { ::unlink(fifo.c_str()); }, 5, fifo},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_EQ(lab.run({"check"}).code, 0);
    c.breaks();
    auto r = lab.run({"check"});
    EXPECT_EQ(r.code, c.code) << r.out << r.err;
    EXPECT_NE(r.out.find("check: FAILED"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.named), std::string::npos) << r.out;
    c.undoes();
  }
  // A remote lock that is not a regular file stops a push at once, with check's code
  // (it was opened, and a FIFO blocked the remote shell; a directory spun for 75 s).
  for (bool directory : {true, false}) {
    SCOPED_TRACE(directory ? "lock a directory" : "lock a FIFO");
    if (directory) {
      ASSERT_TRUE(make_dirs(fifo).ok());
    } else {
      ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    }
    write_text(lab.custom_list("secondary"), "10.8.8.8 lock.lan\n");
    const auto start = Clock::now();
    auto r = lab.run({"push", "--only", "custom-dns"});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
    ASSERT_EQ(::remove(fifo.c_str()), 0);
  }
  // And a gravity.db of another Pi-hole version: sync refuses it every run.
  const std::string db = lab.gravity("primary");
  const std::string bytes = read_text(db);
  ::unlink(db.c_str());
  sqlite(db, fixture("gravity-v19.sql"));
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("schema versions differ"), std::string::npos) << r.out;
  write_text(db, bytes, 0664);
  EXPECT_EQ(lab.run({"check"}).code, 0);
}

// An edit made on the receiving node while a copy of its gravity.db is on its way (the
// admin, the web interface, FTL's API) was overwritten by the swap: the run had read the
// file before the edit. The swap now replaces only the file the run read.
TEST_F(Faults, AnEditLandingWhileACopyArrivesIsNeverOverwritten) {
  struct Case {
    const char* command;
    const char* sender;
    const char* receiver;
    std::string copies_in;  // where the receiving side's copy appears while it arrives
  };
  const Case cases[] = {
      {"pull", "primary", "secondary", lab.path("secondary", "state/tmp")},
      {"push", "secondary", "primary", lab.path("primary", "etc-pihole")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.command);
    grow_gravity(lab.gravity(c.sender), 1500000, std::string("big-") + c.command + ".example");
    const pid_t pid = spawn(lab, {c.command, "--only", "gravity"});
    auto arriving = [&] {
      std::error_code ec;
      for (const auto& e : std::filesystem::recursive_directory_iterator(c.copies_in, ec)) {
        if (e.path().filename().string().rfind(".gravity-sync.", 0) == 0) return true;
      }
      return false;
    };
    const auto start = Clock::now();
    while (!arriving() && Clock::now() - start < std::chrono::seconds(60)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(arriving()) << "no copy arrived";
    sqlite(lab.gravity(c.receiver), "INSERT INTO domainlist (type, domain) VALUES (1, 'edited-meanwhile.example');");
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(WEXITSTATUS(status), 5);
    EXPECT_EQ(sqlite(lab.gravity(c.receiver),
                     "SELECT count(*) FROM domainlist WHERE domain = 'edited-meanwhile.example';"),
              "1\n")
        << "the edit was overwritten";
    const Json last = lab.run({"--json", "status"}).json()["last_run"];
    EXPECT_NE(last.dump().find("changed after this run read it"), std::string::npos) << last.dump();
    sqlite(lab.gravity(c.receiver), "DELETE FROM domainlist WHERE domain = 'edited-meanwhile.example';");
    ASSERT_EQ(lab.run({c.command, "--only", "gravity"}).code, 0);
  }
}

TEST_F(Faults, AZeroedJournalLeftByAKilledWriterNeverBlocksTheSwap) {
  // A writer killed before its first sync leaves a journal whose header is zero: SQLite
  // ignores it (pager.c hasHotJournal), and so does the swap, on either node.
  for (const char* receiver : {"secondary", "primary"}) {
    SCOPED_TRACE(receiver);
    const char* sender = std::string(receiver) == "primary" ? "secondary" : "primary";
    write_text(lab.gravity(receiver) + "-journal", std::string(4096, '\0'), 0644);
    sqlite(lab.gravity(sender), std::string("INSERT INTO domainlist (type, domain) VALUES (1, 'past-journal-") +
                                    receiver + ".example');");
    auto r = lab.run({"sync"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(sqlite(lab.gravity(receiver), std::string("SELECT count(*) FROM domainlist WHERE domain = "
                                                        "'past-journal-") + receiver + ".example';"),
              "1\n");
    ::unlink((lab.gravity(receiver) + "-journal").c_str());
  }
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

TEST_F(Faults, ACopyThatFailsItsIntegrityCheckIsRefusedOnEitherNode) {
  // Damage only the gravity table's pages: the configuration digest still reads, the
  // snapshot copies the damage, and the receiving node's integrity_check catches it; the
  // message names the node the copy came from, whichever way it went.
  struct Case {
    const char* sender;
    const char* receiver;
    const char* command;
    const char* named;  // how the refusal names the copy
    const char* node;   // the receiver in `backups --json`
  };
  const Case cases[] = {
      {"primary", "secondary", "sync", "remote gravity (refused by the local node)", "local"},
      {"secondary", "primary", "push", "local gravity (refused by the remote node)", "remote"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.command);
    const std::string db = lab.gravity(c.sender);
    sqlite(db, std::string("INSERT INTO domainlist (type, domain) VALUES (1, 'new-") + c.command + ".example');");
    const auto root = sqlite(db, "SELECT rootpage FROM sqlite_master WHERE name = 'idx_gravity';");
    const long page = std::stol(root);
    auto bytes = read_text(db);
    const size_t at = static_cast<size_t>(page - 1) * 4096;
    ASSERT_LT(at + 4096, bytes.size());
    for (size_t j = 8; j < 4000; ++j) bytes[at + j] = static_cast<char>(j);
    write_text(db, bytes, 0664);
    Snapshot before(lab);
    auto r = lab.run({c.command});
    EXPECT_EQ(r.code, 5) << r.out << r.err;
    before.expect_unchanged(c.receiver);
    EXPECT_NE(r.err.find("integrity check failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    EXPECT_EQ(count_temp_files(lab.pihole_dir("secondary")), 0);
    EXPECT_EQ(count_temp_files(lab.pihole_dir("primary")), 0);
    // No backup stays from the refused install: nothing was replaced.
    auto listed = lab.run({"--json", "backups"});
    const Json entries = listed.json();
    for (const auto& b : entries.items()) EXPECT_NE(b["node"].as_string(), c.node) << listed.out;
    // Repair the sender for the next case.
    ::unlink(db.c_str());
    ASSERT_EQ(lab.run({c.command[0] == 'p' ? "pull" : "push"}).code, 0);
  }
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

// A gravity.db switched to WAL mode (by hand: Pi-hole never does) is sent as a copy in
// Pi-hole's rollback-journal mode, by either node: WAL mode never spreads, and the
// receiver holds the sender's configuration. The header's mode is read by the real sqlite3.
TEST(WalMode, ASenderInWalModeSendsARollbackJournalCopy) {
  for (const char* command : {"pull", "push"}) {
    SCOPED_TRACE(command);
    Lab lab;
    const std::string sender = std::string(command) == "pull" ? "primary" : "secondary";
    const std::string receiver = sender == "primary" ? "secondary" : "primary";
    EXPECT_EQ(sqlite(lab.gravity(sender), "PRAGMA journal_mode = WAL;"), "wal\n");
    sqlite(lab.gravity(sender), "INSERT INTO domainlist (type, domain) VALUES (1, 'wal-" + sender + ".example');");
    auto r = lab.run({command, "--only", "gravity"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(sqlite(lab.gravity(receiver), "PRAGMA journal_mode;"), "delete\n");
    EXPECT_EQ(sqlite(lab.gravity(receiver), "SELECT count(*) FROM domainlist WHERE domain = 'wal-" + sender +
                                                ".example';"),
              "1\n");
    EXPECT_EQ(lab.run({"compare", "--only", "gravity"}).code, 0);
  }
}

}  // namespace
}  // namespace gs::test
