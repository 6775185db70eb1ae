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

  EXPECT_EQ(without_host(text, "pi.lan", 2222), "# pinned by gravity-sync init\n"
                                                 "pi.lan " + kKeyA + "\n"
                                                 "[pi.lan]:22222 " + kKeyB + "\n"
                                                 "@revoked [pi.lan]:2222 " + kKeyB + "\n");
  EXPECT_EQ(known_hosts_name("pi.lan", 22), "pi.lan");
  EXPECT_EQ(known_hosts_name("10.0.0.2", 2222), "[10.0.0.2]:2222");
}

}  // namespace
}  // namespace gs
