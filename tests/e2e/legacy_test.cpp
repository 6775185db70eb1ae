// import-legacy of a real Gravity Sync 4.x config file, then check and sync with it.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

TEST(ImportLegacy, A4xConfigBecomesAWorkingConfigWithItsHostKeyPinned) {
  Lab lab;
  const std::string port = read_text(lab.dir() + "/port").substr(0, read_text(lab.dir() + "/port").find('\n'));
  const std::string d = lab.dir();
  // The shape of /etc/gravity-sync/gravity-sync.conf as 4.x wrote it.
  const std::string legacy = d + "/gravity-sync.conf";
  write_text(legacy,
             "# REQUIRED SETTINGS ######################\n\n"
             "# Primary Pi-hole host (in IP or DNS name)\nREMOTE_HOST='127.0.0.1'\n\n"
             "# User account on primary with SUDO rights\nREMOTE_USER='root'\n\n"
             "# STANDARD VARIABLES #########################\n"
             "GS_SSH_PORT='" + port + "'\n"
             "GS_SSH_PKIF='" + d + "/keys/id_ed25519'\n"
             "LOCAL_PIHOLE_DIRECTORY='" + d + "/secondary/etc-pihole'\n"
             "REMOTE_PIHOLE_DIRECTORY='" + d + "/primary/etc-pihole'\n"
             "LOCAL_DNSMASQ_DIRECTORY='" + d + "/secondary/etc-dnsmasq.d'\n"
             "REMOTE_DNSMASQ_DIRECTORY='" + d + "/primary/etc-dnsmasq.d'\n"
             "LOCAL_PIHOLE_BINARY='" + d + "/secondary/shim/pihole'\n"
             "REMOTE_PIHOLE_BINARY='" + d + "/primary/shim/pihole'\n"
             "LOCAL_FTL_BINARY='" + d + "/secondary/shim/pihole-FTL'\n"
             "REMOTE_FTL_BINARY='" + d + "/primary/shim/pihole-FTL'\n"
             "LOCAL_FILE_OWNER='pihole:pihole'\n"
             "# PING_AVOID=''\n"
             "MYSTERY_KNOB='1'\n");
  // 4.x used ssh's own known_hosts; make it hashed, as Debian's ssh does by default.
  ::mkdir((d + "/home").c_str(), 0700);
  ::mkdir((d + "/home/.ssh").c_str(), 0700);
  write_text(d + "/home/.ssh/known_hosts", read_text(d + "/keys/known_hosts"));
  auto hashed = run_process({"ssh-keygen", "-H", "-f", d + "/home/.ssh/known_hosts"});
  ASSERT_TRUE(hashed.ok() && hashed->exit_code == 0);
  ASSERT_EQ(read_text(d + "/home/.ssh/known_hosts").rfind("|1|", 0), 0u);

  const std::string conf_dir = d + "/etc-gravity-sync";
  const std::string config = conf_dir + "/gravity-sync.yaml";
  auto r = run_binary({"--json", "-c", config, "import-legacy", legacy}, {{"HOME", d + "/home"}});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const Json doc = r.json();
  EXPECT_EQ(doc["pinned"].as_int(), 1);
  EXPECT_TRUE(doc["identity_file_exists"].as_bool());
  ASSERT_EQ(doc["unknown"].items().size(), 1u);
  EXPECT_EQ(doc["unknown"].items()[0].as_string(), "MYSTERY_KNOB");
  EXPECT_NE(r.err.find("MYSTERY_KNOB"), std::string::npos);

  // The state and backups of the new tool go next to its config in this test.
  write_text(config, read_text(config) + "state_dir: " + d + "/secondary/state\nbackup:\n  dir: " + d +
                         "/secondary/backups\n");
  auto check = run_binary({"-c", config, "check"});
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  write_text(lab.custom_list("primary"), "10.0.0.1 imported.lan\n");
  EXPECT_EQ(run_binary({"-c", config, "sync"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 imported.lan\n");

  // Never over an existing config without --force; --stdout prints instead.
  auto again = run_binary({"-c", config, "import-legacy", legacy}, {{"HOME", d + "/home"}});
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  auto printed = run_binary({"-c", config, "import-legacy", "--stdout", legacy});
  EXPECT_EQ(printed.code, 0);
  EXPECT_NE(printed.out.find("host: \"127.0.0.1\""), std::string::npos) << printed.out;
  EXPECT_EQ(run_binary({"-c", config, "import-legacy", "--force", legacy}, {{"HOME", d + "/home"}}).code, 0);
}

TEST(ImportLegacy, AFileThatIsNotDataIsRefused) {
  TempDir d;
  write_text(d.path() + "/gs.conf", "REMOTE_HOST='a'\n$(touch " + d.path() + "/pwned)\n");
  auto r = run_binary({"-c", d.path() + "/out.yaml", "import-legacy", d.path() + "/gs.conf"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(read_file(d.path() + "/pwned").ok()) << "the legacy file was executed";
  EXPECT_FALSE(read_file(d.path() + "/out.yaml").ok());
  EXPECT_EQ(run_binary({"-c", d.path() + "/out.yaml", "import-legacy", d.path() + "/missing.conf"}).code, 2);
}

}  // namespace
}  // namespace gs::test
