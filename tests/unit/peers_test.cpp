// Peers that offered one host key: found pairwise, each pair once, unreached peers never
// matched with each other.
#include <gtest/gtest.h>

#include "gravity_sync/node/peers.hpp"

namespace gs {
namespace {

const std::string kA = "SHA256:rQsJZ74fUPNfPiFyVHb2DZwJ6v1sEl8xaRFVbWGVGCM";
const std::string kB = "SHA256:bz7U5YeaLEs6fYEdSgaeDDS8cUAZcQcG6eu7uxJUMeA";

std::string pairs(const std::vector<std::pair<std::string, std::string>>& offered) {
  std::string out;
  for (const auto& s : shared_host_keys(offered)) {
    out += (out.empty() ? "" : " ") + s.first + "=" + s.second + (s.fingerprint == kA ? "(A)" : "(B)");
  }
  return out;
}

TEST(Peers, SharedHostKeysArePairsInTheOrderGiven) {
  struct Case {
    const char* what;
    std::vector<std::pair<std::string, std::string>> offered;
    std::string pairs;
  };
  const std::vector<Case> cases = {
      {"none", {}, ""},
      {"one peer", {{"pi1", kA}}, ""},
      {"all different", {{"pi1", kA}, {"pi2", kB}}, ""},
      {"two names of one node", {{"pi1", kA}, {"pi1-by-ip", kA}}, "pi1=pi1-by-ip(A)"},
      {"three of one key: each pair once", {{"a", kA}, {"b", kA}, {"c", kA}}, "a=b(A) a=c(A) b=c(A)"},
      {"two keys shared", {{"a", kA}, {"b", kB}, {"c", kA}, {"d", kB}}, "a=c(A) b=d(B)"},
      {"peers not reached are no pair", {{"down1", ""}, {"down2", ""}, {"up", kA}}, ""},
      {"a peer not reached beside one shared", {{"a", kA}, {"down", ""}, {"b", kA}}, "a=b(A)"},
  };
  for (const auto& c : cases) EXPECT_EQ(pairs(c.offered), c.pairs) << c.what;
}

TEST(Peers, TheWarningNamesBothPeersTheKeyAndWhatToDo) {
  const std::string w = shared_host_key_warning({"pi1", "pi1-by-ip", kA});
  for (const char* part : {"pi1 and pi1-by-ip", kA.c_str(), "list it once", "ssh-keygen -A", "known_hosts"}) {
    EXPECT_NE(w.find(part), std::string::npos) << part << " in " << w;
  }
}

}  // namespace
}  // namespace gs
