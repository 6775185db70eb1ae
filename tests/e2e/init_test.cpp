// Issue 7 (part): `init` from nothing to a working sync, through the real binary.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

// The user the lab's sshd lets in: whoever runs the tests.
std::string getlogin_r_safe() {
  auto r = run_process({"id", "-un"});
  return r.ok() ? r->out.substr(0, r->out.find('\n')) : "root";
}

// docs/OPERATIONS.md: a changed host key (the other node reinstalled) is replaced by
// `init --accept-new-host-key`, after both keys are shown; without the flag (and no
// terminal to type yes on) nothing changes. It used to exit 4 either way.
TEST(Init, AChangedHostKeyIsShownAndReplacedOnlyWhenAccepted) {
  Lab lab;
  const std::string wrong = lab.dir() + "/keys/known_hosts.wrong";  // pins another key
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("keys/known_hosts"), 16, "keys/known_hosts.wrong");
  lab.set_config(yaml);
  const std::string before = read_text(wrong);
  // The fingerprint of the lab sshd's key, as ssh-keygen prints it.
  auto listed = run_process({"ssh-keygen", "-lf", lab.dir() + "/keys/host_ed25519.pub"});
  ASSERT_TRUE(listed.ok());
  const std::string offered = listed->out.substr(listed->out.find(' ') + 1, listed->out.find(' ', listed->out.find(' ') + 1) - listed->out.find(' ') - 1);
  ASSERT_EQ(offered.rfind("SHA256:", 0), 0u) << listed->out;

  auto refused = lab.run({"init"});
  EXPECT_EQ(refused.code, 4) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("now offers ssh-ed25519 " + offered), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find(wrong + " holds ssh-ed25519 SHA256:"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("not replaced"), std::string::npos) << refused.out;
  EXPECT_EQ(read_text(wrong), before);

  auto accepted = lab.run({"init", "--accept-new-host-key"});
  EXPECT_EQ(accepted.code, 0) << accepted.out << accepted.err;
  EXPECT_NE(accepted.out.find("replaced in " + wrong), std::string::npos) << accepted.out;
  EXPECT_NE(accepted.out.find("check: OK"), std::string::npos) << accepted.out;
  EXPECT_EQ(lab.run({"check"}).code, 0);
  EXPECT_EQ(read_text(wrong).find(before.substr(before.find(' ') + 1)), std::string::npos) << "the old key is gone";
}

TEST(Init, FromNothingToCheckAndSync) {
  Lab lab;
  const std::string d = lab.dir();
  const std::string port = read_text(d + "/port").substr(0, read_text(d + "/port").find('\n'));
  const std::string user = getlogin_r_safe();
  const std::string dir = d + "/etc-gravity-sync";
  const std::string config = dir + "/gravity-sync.yaml";
  const std::vector<std::string> init{"-c", config, "init", "--remote-host", "127.0.0.1", "--remote-port", port,
                                      "--remote-user", user};

  // No terminal and no --accept-new-host-key: the unknown host key is shown, not pinned.
  auto first = run_binary(init);
  EXPECT_EQ(first.code, 4) << first.out << first.err;
  EXPECT_NE(first.out.find("SHA256:"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("not pinned"), std::string::npos) << first.out;
  ASSERT_TRUE(stat_file(config)->exists);
  const auto key = *stat_file(dir + "/id_ed25519");
  EXPECT_EQ(key.mode, 0600u);
  const std::string private_key = read_text(dir + "/id_ed25519");
  EXPECT_EQ(read_text(dir + "/id_ed25519.pub").rfind("ssh-ed25519 ", 0), 0u);

  // Accepted: pinned; the key is not on the remote yet, so it says how to put it there.
  auto init_accept = init;
  init_accept.push_back("--accept-new-host-key");
  auto second = run_binary(init_accept);
  EXPECT_EQ(second.code, 3) << second.out << second.err;
  EXPECT_NE(second.out.find("ssh-copy-id -i " + dir + "/id_ed25519.pub -p " + port + " " + user + "@127.0.0.1"),
            std::string::npos) << second.out;
  EXPECT_NE(read_text(dir + "/known_hosts").find("[127.0.0.1]:" + port), std::string::npos);
  EXPECT_EQ(read_text(dir + "/id_ed25519"), private_key) << "the key is never replaced without --force";

  // What ssh-copy-id does.
  write_text(d + "/keys/authorized_keys", read_text(d + "/keys/authorized_keys") + read_text(dir + "/id_ed25519.pub"));
  // The lab's Pi-holes live in unusual places; a real node uses the defaults.
  write_text(config, read_text(config) + "  pihole_dir: " + d + "/primary/etc-pihole\n  dnsmasq_dir: " + d +
                         "/primary/etc-dnsmasq.d\n  pihole_command: " + d + "/primary/shim/pihole\n  ftl_command: " + d +
                         "/primary/shim/pihole-FTL\n  backup_dir: " + d + "/primary/backups\nlocal:\n  pihole_dir: " + d +
                         "/secondary/etc-pihole\n  dnsmasq_dir: " + d + "/secondary/etc-dnsmasq.d\n  pihole_command: " +
                         d + "/secondary/shim/pihole\n  ftl_command: " + d + "/secondary/shim/pihole-FTL\nstate_dir: " + d +
                         "/secondary/state\nbackup:\n  dir: " + d + "/secondary/backups\n");

  // Again: config, key and pinned host key are kept; it ends with a passing check.
  auto third = run_binary(init);
  EXPECT_EQ(third.code, 0) << third.out << third.err;
  EXPECT_NE(third.out.find("keeping " + config), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("check: OK"), std::string::npos) << third.out;
  EXPECT_EQ(run_binary({"-c", config, "check"}).code, 0);
  write_text(lab.custom_list("primary"), "10.0.0.1 after-init.lan\n");
  EXPECT_EQ(run_binary({"-c", config, "sync"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 after-init.lan\n");
}

TEST(Init, WithoutAHostItIsAUsageError) {
  TempDir d;
  auto r = run_binary({"-c", d.path() + "/gs.yaml", "init"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--remote-host is required"), std::string::npos) << r.err;
}

TEST(Init, ANonRootUserGetsSudoAndTheSudoersLineItNeeds) {
  TempDir d;
  const std::string config = d.path() + "/gs.yaml";
  // Port 1 on loopback: nothing listens, so init stops at the connection (exit 3).
  auto r = run_binary({"-c", config, "init", "--remote-host", "127.0.0.1", "--remote-port", "1", "--remote-user", "pi"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  const std::string yaml = read_text(config);
  EXPECT_NE(yaml.find("sudo: true   # needs on the remote: pi ALL=(root) NOPASSWD: /bin/sh"), std::string::npos) << yaml;
  EXPECT_EQ(run_binary({"-c", config, "status"}).code, 0);  // the written config is valid
}

}  // namespace
}  // namespace gs::test
