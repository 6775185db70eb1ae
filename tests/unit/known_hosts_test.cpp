// known_hosts as OpenSSH writes it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"); the hashed
// line below is ssh-keygen -H's output for "[pi.lan]:2222", and the fingerprints are
// ssh-keygen -lf's for the same keys.
#include <gtest/gtest.h>

#include "gravity_sync/ssh/known_hosts.hpp"

namespace gs {
namespace {

const std::string kKeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJalYAI/OC7GZVYv8Ng69YMVDYYEVhUw+Iw2SYvz14sk";
const std::string kKeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH+mkoV8IAwwWiG4DnwLD1E0V5hJokgYH4uOyOIjFAn+";
const std::string kFingerprintA = "SHA256:rQsJZ74fUPNfPiFyVHb2DZwJ6v1sEl8xaRFVbWGVGCM";
const std::string kFingerprintB = "SHA256:bz7U5YeaLEs6fYEdSgaeDDS8cUAZcQcG6eu7uxJUMeA";
const std::string kHashedPiLan2222 = "|1|P1NTPskTNI1cDTKwk9dR11SeutI=|UGVl7QQK8mCrQkZxy0LmvTcBnfc=";

TEST(KnownHosts, EntriesForAHostAreFoundByNameListPortAndHashAndOnlyTheyAreRemoved) {
  const std::string text = "# pinned by gravity-sync init\n"
                           "[pi.lan]:2222 " + kKeyB + "\n"
                           "other.lan,[pi.lan]:2222 " + kKeyA + " a comment\n"
                           "pi.lan " + kKeyA + "\n"  // port 22: another entry
                           + kHashedPiLan2222 + " " + kKeyA + "\r\n"
                           "[pi.lan]:22222 " + kKeyB + "\n"
                           "@revoked [pi.lan]:2222 " + kKeyB + "\n"
                           "[pi.lan]:2222 ssh-ed25519 not-base64";
  const auto keys = known_keys(text, "pi.lan", 2222);
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0].type, "ssh-ed25519");
  EXPECT_EQ(keys[0].fingerprint, kFingerprintB);
  EXPECT_EQ(keys[1].fingerprint, kFingerprintA);
  EXPECT_EQ(keys[2].fingerprint, kFingerprintA) << "the hashed entry";
  EXPECT_EQ(keys[3].fingerprint, "") << "a key that cannot be parsed";
  EXPECT_EQ(known_keys(text, "pi.lan", 22).size(), 1u);
  EXPECT_TRUE(known_keys(text, "pi", 2222).empty());

  // Only this host's name goes: other.lan keeps its pin, @revoked lines stay.
  EXPECT_EQ(without_host(text, "pi.lan", 2222), "# pinned by gravity-sync init\n"
                                                 "other.lan " + kKeyA + " a comment\n"
                                                 "pi.lan " + kKeyA + "\n"
                                                 "[pi.lan]:22222 " + kKeyB + "\n"
                                                 "@revoked [pi.lan]:2222 " + kKeyB + "\n");
  EXPECT_EQ(known_hosts_name("pi.lan", 22), "pi.lan");
  EXPECT_EQ(known_hosts_name("10.0.0.2", 2222), "[10.0.0.2]:2222");
}

// The verdict on an offered key, as OpenSSH reaches it (sshkey_in_file / check_key_in_hostkeys
// with revocation first; ssh_config(5) PATTERNS), for files admins really have.
TEST(KnownHosts, AnOfferedKeyIsJudgedAsOpenSshJudgesIt) {
  const std::string a = kKeyA.substr(kKeyA.find(' ') + 1);
  const std::string rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7";
  struct Case {
    const char* name;
    std::string text;
    HostKeyVerdict verdict;
    std::vector<size_t> wildcard_lines;
  };
  const std::vector<Case> cases{
      {"pinned", "[pi.lan]:2222 " + kKeyA + "\n", HostKeyVerdict::known, {}},
      {"pinned, CRLF line ends", "# x\r\n[pi.lan]:2222 " + kKeyA + "\r\n", HostKeyVerdict::known, {}},
      {"pinned, hashed", kHashedPiLan2222 + " " + kKeyA + "\n", HostKeyVerdict::known, {}},
      {"pinned, upper case name", "[PI.LAN]:2222 " + kKeyA + "\n", HostKeyVerdict::known, {}},
      {"another key of the type", "[pi.lan]:2222 " + kKeyB + "\n", HostKeyVerdict::changed, {}},
      {"another type only", "[pi.lan]:2222 " + rsa + "\n", HostKeyVerdict::other_type, {}},
      {"old and new both pinned", "[pi.lan]:2222 " + kKeyB + "\n[pi.lan]:2222 " + kKeyA + "\n",
       HostKeyVerdict::known, {}},
      {"nothing for it", "[pi.lan]:22 " + kKeyA + "\npi.lan " + kKeyA + "\n", HostKeyVerdict::unknown, {}},
      {"empty file", "", HostKeyVerdict::unknown, {}},
      {"revoked, and pinned too", "@revoked * " + kKeyA + "\n[pi.lan]:2222 " + kKeyA + "\n",
       HostKeyVerdict::revoked, {}},
      {"revoked only", "@revoked [pi.lan]:2222 " + kKeyA + "\n", HostKeyVerdict::revoked, {}},
      {"another key revoked", "@revoked * " + kKeyB + "\n[pi.lan]:2222 " + kKeyA + "\n", HostKeyVerdict::known,
       {}},
      {"cert-authority is not a pin", "@cert-authority * " + kKeyA + "\n", HostKeyVerdict::unknown, {}},
      {"wildcard pin", "* " + kKeyA + "\n", HostKeyVerdict::known, {}},
      {"wildcard, old key", "# one\n[pi.lan]:222? " + kKeyB + "\n", HostKeyVerdict::changed, {2}},
      {"negated", "*,![pi.lan]:2222 " + kKeyA + "\n", HostKeyVerdict::unknown, {}},
      {"a line too short, a comment", "[pi.lan]:2222 ssh-ed25519\n#[pi.lan]:2222 " + kKeyA + "\n",
       HostKeyVerdict::unknown, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const HostKeyCheck check = check_host_key(c.text, "pi.lan", 2222, "ssh-ed25519", a);
    EXPECT_EQ(check.verdict, c.verdict);
    EXPECT_EQ(check.wildcard_lines, c.wildcard_lines);
  }
}

// A CRLF file's old pin is found and replaced like any other.
TEST(KnownHosts, ACrlfPinIsShownAndRemoved) {
  const std::string text = "[pi.lan]:2222 " + kKeyB + "\r\nother.lan " + kKeyA + "\r\n";
  ASSERT_EQ(known_keys(text, "pi.lan", 2222).size(), 1u);
  EXPECT_EQ(known_keys(text, "pi.lan", 2222)[0].fingerprint, kFingerprintB);
  EXPECT_EQ(without_host(text, "pi.lan", 2222), "other.lan " + kKeyA + "\r\n");
}

}  // namespace
}  // namespace gs
