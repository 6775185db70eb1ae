// Issue 2: the command line, the config and `check` through the real binary and sshd.
#include <cctype>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace gs::test {
namespace {

TEST(Cli, VersionPrintsTheVersion) {
  Lab lab;
  auto r = lab.run({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("gravity-sync ", 0), 0u) << r.out;
}

TEST(Cli, UsageErrorsExit2) {
  Lab lab;
  EXPECT_EQ(lab.run({"frobnicate"}).code, 2);
  EXPECT_EQ(lab.run({"sync", "--no-such-flag"}).code, 2);
  EXPECT_EQ(lab.run({"-v", "-q", "compare"}).code, 2);
  auto only = lab.run({"compare", "--only", "gravity,dhcp"});
  EXPECT_EQ(only.code, 2);
  EXPECT_NE(only.err.find("\"dhcp\" is not an item"), std::string::npos) << only.err;
}

TEST(Check, PassesAgainstTheLab) {
  Lab lab;
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check: OK"), std::string::npos) << r.out;
  auto j = lab.run({"--json", "check"}).json();
  EXPECT_EQ(j["nodes"]["remote"]["gravity_schema"].as_int(), 15);
  EXPECT_EQ(j["nodes"]["local"]["pihole"].as_int(), 5);
}

// A config another user owns or may write runs that user's commands as root (its hooks),
// and a key another user owns or may read logs them in to the other node: both refused,
// naming the file, its owner and mode, and the fix.
TEST(Check, AConfigOrKeyOthersMayTouchIsRefused) {
  Lab lab;
  struct Case {
    const char* what;
    std::string file;
    uid_t uid;
    mode_t mode;
    int code;
    const char* said;
  };
  const std::string key = lab.dir() + "/keys/id_ed25519";
  const Case cases[] = {
      {"config writable by its group", lab.config(), 0, 0664, 2, "could run commands as root"},
      {"config writable by all", lab.config(), 0, 0666, 2, "could run commands as root"},
      {"config of another user", lab.config(), 65534, 0644, 2, "owner uid 65534"},
      {"key readable by all", key, 0, 0644, 3, "is not this node's alone"},
      {"key of another user", key, 65534, 0600, 3, "owner uid 65534"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_EQ(::chown(c.file.c_str(), c.uid, static_cast<gid_t>(-1)), 0);
    ASSERT_EQ(::chmod(c.file.c_str(), c.mode), 0);
    auto r = lab.run({"check"});
    EXPECT_EQ(r.code, c.code) << r.out << r.err;
    EXPECT_NE(r.err.find(c.said), std::string::npos) << r.err;
    ASSERT_EQ(::chown(c.file.c_str(), 0, static_cast<gid_t>(-1)), 0);
    ASSERT_EQ(::chmod(c.file.c_str(), c.file == key ? 0600 : 0644), 0);
  }
  EXPECT_EQ(lab.run({"check"}).code, 0);
}

TEST(Check, AMisspeltKeyExits2NamingKeyFileAndLine) {
  Lab lab;
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("  connect_timeout:"), 18, "  conect_timeout:");
  lab.set_config(yaml);
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(lab.config() + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": remote.conect_timeout: unknown key"), std::string::npos) << r.err;
  // The line: count the lines up to the misspelt key.
  const auto line = 1 + std::count(yaml.begin(), yaml.begin() + static_cast<long>(yaml.find("conect_timeout")), '\n');
  EXPECT_NE(r.err.find(lab.config() + ":" + std::to_string(line) + ":"), std::string::npos) << r.err;
  auto j = lab.run({"--json", "check"}).json();
  EXPECT_EQ(j["error"]["code"].as_int(), 2);
}

TEST(Check, AMissingConfigFileExits2) {
  Lab lab;
  auto r = run_binary({"-c", lab.dir() + "/nope.yaml", "check"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nope.yaml"), std::string::npos) << r.err;
  // $GRAVITY_SYNC_CONFIG names the file when -c does not.
  auto env = run_binary({"check"}, {{"GRAVITY_SYNC_CONFIG", lab.dir() + "/nope-env.yaml"}});
  EXPECT_EQ(env.code, 2);
  EXPECT_NE(env.err.find("nope-env.yaml"), std::string::npos) << env.err;
  EXPECT_EQ(run_binary({"check"}, {{"GRAVITY_SYNC_CONFIG", lab.config()}}).code, 0);
}

TEST(Check, ADifferentHostKeyExits4) {
  Lab lab;
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("keys/known_hosts"), 16, "keys/known_hosts.wrong");
  lab.set_config(yaml);
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("CHANGED"), std::string::npos) << r.err;
}

TEST(Check, AnUnknownHostKeyExits4) {
  Lab lab;
  write_text(lab.dir() + "/keys/known_hosts", "");
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("is not in"), std::string::npos) << r.err;
}

TEST(Check, GlobalKnownHostsAndSshConfigAreNotTrusted) {
  Lab lab;
  // Even with the right key in the user's own known_hosts, only the configured file counts.
  write_text(lab.dir() + "/keys/known_hosts", "");
  auto r = lab.run({"check"}, {{"HOME", lab.dir()}});
  EXPECT_EQ(r.code, 4);
}

TEST(Check, ARefusedKeyExits3) {
  Lab lab;
  write_text(lab.dir() + "/keys/authorized_keys", "");
  auto r = lab.run({"check"}, {{"SSH_AUTH_SOCK", ""}});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("ssh-copy-id"), std::string::npos) << r.err;
}

// Issue 15: run as another user than root, whose key it may not read, gravity-sync said
// the key was refused and suggested ssh-copy-id. It says to run as root instead.
TEST(Check, AKeyThisUserMayNotReadSaysRunAsRootNotInstallTheKey) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the binary as nobody";
  Lab lab;
  // The binary, the config and known_hosts where nobody may read them; the key stays root's.
  char tmpl[] = "/tmp/gs-nobody-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  write_text(dir + "/gravity-sync", read_text(binary_under_test()), 0755);
  write_text(dir + "/known_hosts", read_text(lab.dir() + "/keys/known_hosts"), 0644);
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find(lab.dir() + "/keys/known_hosts"), (lab.dir() + "/keys/known_hosts").size(), dir + "/known_hosts");
  write_text(dir + "/config.yaml", yaml, 0644);
  auto r = run_process({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", dir + "/gravity-sync", "-c",
                        dir + "/config.yaml", "check"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3) << r->out << r->err;
  EXPECT_NE(r->err.find("cannot read the private key " + lab.dir() + "/keys/id_ed25519"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("run gravity-sync as root"), std::string::npos) << r->err;
  EXPECT_EQ(r->err.find("ssh-copy-id"), std::string::npos) << r->err;
  std::filesystem::remove_all(dir);
}

TEST(Check, SshdStoppedExits3WithinTheConnectTimeout) {
  Lab lab;
  lab.script({"sshd-stop"});
  const auto start = std::chrono::steady_clock::now();
  auto r = lab.run({"check"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_LT(took, std::chrono::seconds(5 + 5)) << "connect_timeout is 5s in the lab";
}

TEST(Check, MissingPiholeExits5) {
  Lab lab;
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("primary/etc-pihole\n"), 19, "primary/etc-nothing\n");
  lab.set_config(yaml);
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gs::test

namespace gs::test {
namespace {

TEST(Logging, QuietShowsOnlyWarningsAndErrors) {
  Lab lab;
  write_text(lab.custom_list("primary"), "10.0.0.1 q.lan\n");
  auto quiet = lab.run({"-q", "sync"});
  EXPECT_EQ(quiet.code, 0);
  EXPECT_EQ(quiet.err.find(" info "), std::string::npos) << quiet.err;
  EXPECT_EQ(quiet.out, "") << "-q prints nothing when all is well (for cron)";
  auto verbose = lab.run({"-v", "compare"});
  EXPECT_NE(verbose.err.find(" debug "), std::string::npos) << verbose.err;
}

// Issue 15: each error was printed twice — in the report on stdout and as a timestamped
// log line on stderr — so a cron mail carried both. Now each is printed once, and -q
// leaves stdout empty for every command that reports (the error is on stderr).
TEST(Logging, EachErrorIsPrintedOnceAndQuietLeavesStdoutEmpty) {
  Lab lab;
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
  };
  std::string yaml = lab.config_text();
  const std::string good = yaml;
  yaml.replace(yaml.find("keys/known_hosts"), 16, "keys/known_hosts.wrong");
  lab.set_config(yaml);
  for (const char* command : {"compare", "sync", "check"}) {
    for (bool quiet : {false, true}) {
      SCOPED_TRACE(std::string(command) + (quiet ? " -q" : ""));
      auto r = quiet ? lab.run({"-q", command}) : lab.run({command});
      EXPECT_EQ(r.code, 4);
      EXPECT_EQ(count(r.out + r.err, "has CHANGED"), 1u) << r.out << r.err;
      if (quiet) {
        EXPECT_EQ(r.out, "");
      }
    }
  }
  lab.set_config(good);
  // A check that fails: its problem once, in the report; with -q, once on stderr.
  lab.set_node_command("primary", "pihole_command", "/nonexistent/pihole");
  for (bool quiet : {false, true}) {
    SCOPED_TRACE(quiet ? "check -q" : "check");
    auto r = quiet ? lab.run({"-q", "check"}) : lab.run({"check"});
    EXPECT_EQ(r.code, 5);
    EXPECT_EQ(count(r.out + r.err, "command /nonexistent/pihole not found"), 1u) << r.out << r.err;
    if (quiet) {
      EXPECT_EQ(r.out, "");
    }
  }
}

// Issue 15: compare printed "pull skipped" for what sync would do, with no header row.
TEST(Logging, CompareSaysWhatSyncWouldDoAndSyncWhatItDidUnderAHeader) {
  Lab lab;
  write_text(lab.custom_list("primary"), "10.0.0.1 words.lan\n");
  auto compare = lab.run({"compare"});
  EXPECT_EQ(compare.code, 1);
  EXPECT_NE(compare.out.find("ITEM         SYNC WOULD             DETAIL\n"), std::string::npos) << compare.out;
  EXPECT_NE(compare.out.find("custom-dns   pull (remote to local) "), std::string::npos) << compare.out;
  EXPECT_NE(compare.out.find("gravity      nothing                in sync\n"), std::string::npos) << compare.out;
  EXPECT_EQ(compare.out.find("skipped"), std::string::npos) << compare.out;
  auto sync = lab.run({"sync"});
  EXPECT_EQ(sync.code, 0);
  EXPECT_NE(sync.out.find("ITEM         DONE                   DETAIL\n"), std::string::npos) << sync.out;
  EXPECT_NE(sync.out.find("custom-dns   pull: ok "), std::string::npos) << sync.out;
}

TEST(Logging, UnderSystemdLinesCarryAPriorityAndNoTimestamp) {
  Lab lab;
  write_text(lab.custom_list("primary"), "10.0.0.1 j.lan\n");
  auto r = lab.run({"sync"}, {{"JOURNAL_STREAM", "8:12345"}});
  EXPECT_EQ(r.code, 0);
  ASSERT_FALSE(r.err.empty());
  std::istringstream lines(r.err);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.rfind("<6>", 0), 0u) << line;
    EXPECT_FALSE(line.size() > 5 && std::isdigit(static_cast<unsigned char>(line[3])) &&
                 line.find('-') == 7) << "timestamp in " << line;
  }
  auto err = run_binary({"-c", lab.dir() + "/missing.yaml", "sync"}, {{"JOURNAL_STREAM", "8:12345"}});
  EXPECT_EQ(err.err.rfind("<3>", 0), 0u) << err.err;
}

}  // namespace
}  // namespace gs::test
