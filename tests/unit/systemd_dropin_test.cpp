// The drop-in `init` writes for the units' ReadWritePaths= (issue 15 point 4).
#include <gtest/gtest.h>

#include "gravity_sync/cli/systemd_dropin.hpp"
#include "test_support.hpp"

namespace gs::cli {
namespace {

// Which of the config's local paths the units do not already let the daemon write.
TEST(SystemdDropin, ExtraPathsAreThoseOutsideTheUnitsOwn) {
  struct Case {
    const char* name;
    std::string pihole_dir, dnsmasq_dir, backup_dir, state_dir, textfile;
    std::vector<std::string> extra;
  };
  const std::vector<Case> cases{
      {"defaults", "/etc/pihole", "/etc/dnsmasq.d", "/var/lib/gravity-sync/backups", "/var/lib/gravity-sync", "", {}},
      {"below a unit path, trailing slash", "/etc/pihole/", "/etc/dnsmasq.d/sub", "/var/lib/gravity-sync/b/",
       "/var/lib/gravity-sync", "/run/metrics/gs.prom", {}},
      {"a docker host's bind mounts", "/srv/pihole/etc-pihole", "/srv/pihole/etc-dnsmasq.d",
       "/var/lib/gravity-sync/backups", "/var/lib/gravity-sync", "",
       {"/srv/pihole/etc-pihole", "/srv/pihole/etc-dnsmasq.d"}},
      {"a prefix is not a parent", "/etc/piholex", "/etc/dnsmasq.d", "/var/lib/gravity-sync-old",
       "/var/lib/gravity-sync", "", {"/etc/piholex", "/var/lib/gravity-sync-old"}},
      {"dot-dot and double slashes resolved", "/run/../etc", "/srv//dnsmasq.d/", "/var/lib/gravity-sync/../x",
       "/var/lib/gravity-sync", "", {"/etc", "/srv/dnsmasq.d", "/var/lib/x"}},
      {"inside another extra path, and repeats", "/srv/ph", "/srv/ph/dnsmasq.d", "/srv/ph", "/data/gs",
       "/var/lib/prometheus/node-exporter/gs.prom", {"/srv/ph", "/data/gs", "/var/lib/prometheus/node-exporter"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Config config;
    config.local.pihole_dir = c.pihole_dir;
    config.local.dnsmasq_dir = c.dnsmasq_dir;
    config.backup_dir = c.backup_dir;
    config.state_dir = c.state_dir;
    config.metrics_textfile = c.textfile;
    EXPECT_EQ(extra_writable_paths(config), c.extra);
  }
}

// Each path is one quoted word systemd reads back as the path: `"` and `\` escaped, `%`
// doubled (a specifier otherwise), "-" so a missing one is no failure to start.
TEST(SystemdDropin, EachPathIsQuotedForSystemd) {
  struct Case {
    std::string path, word;
  };
  const std::vector<Case> cases{
      {"/srv/pihole", "\"-/srv/pihole\""},
      {"/srv/pi hole", "\"-/srv/pi hole\""},
      {"/srv/100%n", "\"-/srv/100%%n\""},
      {"/srv/a\"b", "\"-/srv/a\\\"b\""},
      {"/srv/a\\b", "\"-/srv/a\\\\b\""},
  };
  for (const auto& c : cases) {
    auto text = render_paths_dropin({c.path}, "/etc/gravity-sync/gravity-sync.yaml");
    ASSERT_TRUE(text.ok()) << c.path;
    EXPECT_NE(text->find("\n[Service]\nReadWritePaths=" + c.word + "\n"), std::string::npos) << *text;
  }
  auto two = render_paths_dropin({"/a", "/b"}, "/c.yaml");
  ASSERT_TRUE(two.ok());
  EXPECT_NE(two->find("ReadWritePaths=\"-/a\" \"-/b\"\n"), std::string::npos) << *two;
  for (const std::string& bad : {std::string("/srv/a\nExecStartPre=/bin/evil"), std::string("/srv/\x01"),
                                 std::string("/srv/\x7f"), std::string("/")}) {
    auto refused = render_paths_dropin({bad}, "/c.yaml");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ExitCode::usage);
  }
}

TEST(SystemdDropin, TheDefaultConfigIsRecognisedHoweverSpelt) {
  EXPECT_TRUE(is_default_config("/etc/gravity-sync/gravity-sync.yaml"));
  EXPECT_TRUE(is_default_config("/etc/gravity-sync//gravity-sync.yaml"));
  EXPECT_TRUE(is_default_config("/etc/./gravity-sync/../gravity-sync/gravity-sync.yaml"));
  EXPECT_FALSE(is_default_config("/etc/gravity-sync/other.yaml"));
  EXPECT_FALSE(is_default_config("gravity-sync.yaml"));
}

// Written for both units when needed, left alone when unchanged, removed when not needed;
// nothing at all where there is no systemd unit directory.
TEST(SystemdDropin, UpdateWritesKeepsAndRemoves) {
  test::TempDir d;
  Config config;
  config.path = "/etc/gravity-sync/gravity-sync.yaml";
  config.local.pihole_dir = "/srv/pihole";
  auto none = update_paths_dropins(config, d.path() + "/missing");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
  auto first = update_paths_dropins(config, d.path());
  ASSERT_TRUE(first.ok());
  EXPECT_NE(first->find("wrote " + paths_dropin_file(d.path(), "gravity-sync.service")), std::string::npos) << *first;
  EXPECT_NE(first->find("wrote " + paths_dropin_file(d.path(), "gravity-sync-oneshot.service")), std::string::npos);
  EXPECT_NE(test::read_text(paths_dropin_file(d.path(), "gravity-sync.service")).find("ReadWritePaths=\"-/srv/pihole\""),
            std::string::npos);
  auto again = update_paths_dropins(config, d.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, "");
  config.local.pihole_dir = "/etc/pihole";
  auto removed = update_paths_dropins(config, d.path());
  ASSERT_TRUE(removed.ok());
  EXPECT_NE(removed->find("removed"), std::string::npos) << *removed;
  EXPECT_TRUE(test::list_dir(d.path()).empty());
}

}  // namespace
}  // namespace gs::cli
