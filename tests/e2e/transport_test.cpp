// SSH key types, a reader through the swap, concurrent runs and a full disk, end to end.
#include <chrono>
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

pid_t spawn_argv(std::vector<std::string> argv) {
  std::vector<char*> p;
  for (auto& a : argv) p.push_back(a.data());
  p.push_back(nullptr);
  pid_t pid = 0;
  EXPECT_EQ(::posix_spawnp(&pid, p[0], nullptr, nullptr, p.data(), environ), 0);
  return pid;
}

int wait_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class KeyTypes : public ::testing::TestWithParam<std::string> {};

TEST_P(KeyTypes, IdentityFileOfEachTypeAuthenticates) {
  Lab lab;
  const std::string key = lab.dir() + "/keys/client_" + GetParam();
  std::vector<std::string> keygen{"ssh-keygen", "-q", "-t", GetParam(), "-N", "", "-f", key};
  if (GetParam() == "rsa") keygen.insert(keygen.end(), {"-b", "2048"});
  ASSERT_EQ(wait_code(spawn_argv(keygen)), 0);
  write_text(lab.dir() + "/keys/authorized_keys", read_text(key + ".pub"));
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("keys/id_ed25519"), 15, "keys/client_" + GetParam());
  lab.set_config(yaml);
  auto r = lab.run({"check"}, {{"SSH_AUTH_SOCK", ""}});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(Ssh, KeyTypes, ::testing::Values("ed25519", "ecdsa", "rsa"));

TEST(Transport, AReaderHoldingTheLiveDatabaseSeesNoErrorThroughTheSwap) {
  Lab lab(50000);
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'swap.example');");
  // One sqlite3 connection, like pihole-FTL's, querying continuously across the swap.
  const std::string out = lab.dir() + "/reader.out";
  const std::string err = lab.dir() + "/reader.err";
  const std::string script = "i=0; while [ $i -lt 4000 ]; do echo 'SELECT count(*) FROM gravity;'; i=$((i+1)); done | "
                             "sqlite3 -bail " + lab.gravity("secondary") + " > " + out + " 2> " + err;
  pid_t reader = spawn_argv({"/bin/sh", "-c", script});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto r = lab.run({"sync"});
  EXPECT_EQ(wait_code(reader), 0) << read_text(err);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_text(err), "");
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist WHERE domain = 'swap.example';"), "1\n");
}

TEST(Transport, CompressionIsNegotiatedWhenAskedFor) {
  Lab lab(20000);
  // sshd logs the negotiated algorithms at DEBUG1.
  std::string conf = read_text(lab.dir() + "/sshd_config.in");
  conf.replace(conf.find("LogLevel ERROR"), 14, "LogLevel DEBUG1");
  write_text(lab.dir() + "/sshd_config.in", conf);
  lab.script({"sshd-stop"});
  lab.script({"sshd-start"});
  std::string yaml = lab.config_text();
  yaml.insert(yaml.find("  connect_timeout:"), "  compression: true\n");
  lab.set_config(yaml);
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'compressed.example');");
  auto r = lab.run({"pull", "--only", "gravity"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(sqlite(lab.gravity("secondary"), "SELECT count(*) FROM domainlist WHERE domain = 'compressed.example';"), "1\n");
  EXPECT_NE(read_text(lab.dir() + "/sshd.log").find("compression: zlib@openssh.com"), std::string::npos);
}

TEST(Transport, TwoRunsAtOnceDoNotInterleave) {
  Lab lab(200000);
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'twice.example');");
  lab.clear_calls();
  pid_t a = spawn_argv({GS_BINARY, "-q", "-c", lab.config(), "sync"});
  pid_t b = spawn_argv({GS_BINARY, "-q", "-c", lab.config(), "sync"});
  EXPECT_EQ(wait_code(a), 0);
  EXPECT_EQ(wait_code(b), 0);
  // Exactly one of them moved the database: one reload, one backup.
  EXPECT_EQ(lab.reloads("secondary"), std::vector<std::string>{"pihole restartdns reload-lists"});
  const Json listed = lab.run({"--json", "backups"}).json();
  EXPECT_EQ(listed.items().size(), 1u) << listed.dump();
  EXPECT_EQ(lab.run({"compare"}).code, 0);
}

TEST(Transport, AFullDiskIsRefusedBeforeAnythingIsWritten) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to mount a small tmpfs";
  }
  Lab lab;
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  // The secondary's Pi-hole directory on a 2 MiB filesystem; the primary's database grows past it.
  const std::string dir = lab.pihole_dir("secondary");
  const std::string saved = lab.dir() + "/saved";
  ASSERT_EQ(::rename(dir.c_str(), saved.c_str()), 0);
  ASSERT_TRUE(make_dirs(dir).ok());
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=2m") != 0) {
    GTEST_SKIP() << "cannot mount tmpfs here";
  }
  struct Unmount {
    std::string d;
    ~Unmount() { ::umount2(d.c_str(), MNT_DETACH); }
  } unmount{dir};
  for (const char* f : {"gravity.db", "custom.list"}) {
    write_text(dir + "/" + f, read_text(saved + "/" + f), 0664);
  }
  grow_gravity(lab.gravity("primary"), 60000, "full.example");
  const std::string before = read_text(lab.gravity("secondary"));
  auto r = lab.run({"--json", "sync"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("not enough disk space"), std::string::npos) << r.err;
  EXPECT_TRUE(read_text(lab.gravity("secondary")) == before);
  int temps = 0;
  DirHandle d(::opendir(dir.c_str()));
  while (dirent* e = ::readdir(d.get())) temps += std::string(e->d_name).rfind(".gravity-sync.", 0) == 0;
  EXPECT_EQ(temps, 0);
}

}  // namespace
}  // namespace gs::test

namespace gs::test {
namespace {

TEST(Progress, ShownOnATerminalOnlyForLongTransfers) {
  Lab lab;
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  grow_gravity(lab.gravity("primary"), 1500000, "progress.example");
  // A pseudo-terminal, as when an admin runs it by hand (script(1) from util-linux).
  auto tty = run_process({"script", "-qec", std::string(GS_BINARY) + " -c " + lab.config() + " sync", "/dev/null"}, "",
                         Millis(120'000));
  ASSERT_TRUE(tty.ok());
  EXPECT_EQ(tty->exit_code, 0) << tty->out;
  EXPECT_NE(tty->out.find("pull gravity: "), std::string::npos) << tty->out;
  EXPECT_NE(tty->out.find("MiB/s"), std::string::npos) << tty->out;
  // Not a terminal (cron, systemd, a pipe): plain log lines only.
  grow_gravity(lab.gravity("primary"), 10, "progress2.example");
  auto piped = lab.run({"sync"});
  EXPECT_EQ(piped.code, 0);
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find("MiB/s"), std::string::npos) << piped.err;
}

}  // namespace
}  // namespace gs::test
