#include <gtest/gtest.h>

#include "gravity_sync/config/config.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "gs.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, MinimalConfigGetsContractDefaults) {
  Config c = parse_config("remote:\n  host: 192.168.1.10\n", "gs.yaml");
  EXPECT_EQ(c.remotes.at(0).host, "192.168.1.10");
  EXPECT_EQ(c.remotes.at(0).port, 22);
  EXPECT_EQ(c.remotes.at(0).user, "root");
  EXPECT_EQ(c.remotes.at(0).identity_file, "/etc/gravity-sync/id_ed25519");
  EXPECT_EQ(c.remotes.at(0).known_hosts, "/etc/gravity-sync/known_hosts");
  EXPECT_FALSE(c.remotes.at(0).sudo);
  EXPECT_EQ(c.remotes.at(0).connect_timeout, Millis(10'000));
  EXPECT_EQ(c.remotes.at(0).layout.pihole_dir, "/etc/pihole");
  EXPECT_EQ(c.remotes.at(0).backup_dir, "/var/lib/gravity-sync/backups");
  EXPECT_EQ(c.local.dnsmasq_dir, "/etc/dnsmasq.d");
  ASSERT_EQ(c.sync.items.size(), 3u);
  EXPECT_EQ(c.sync.items[2], Item::cname);
  EXPECT_EQ(c.sync.mode, SyncMode::sync);
  EXPECT_EQ(c.sync.conflict, ConflictPolicy::remote);
  EXPECT_EQ(c.sync.interval, Millis(15'000));
  EXPECT_EQ(c.sync.gravity_mode, GravityMode::file);
  EXPECT_EQ(c.backup_keep, 10);
  EXPECT_EQ(c.state_dir, "/var/lib/gravity-sync");
  EXPECT_EQ(c.hooks.timeout, Millis(30'000));
}

TEST(Config, TheExampleConfigValidates) {
  Config c = load_config(std::string(GS_SOURCE_DIR) + "/config/gravity-sync.yaml");
  EXPECT_EQ(c.remotes.at(0).host, "192.168.1.10");
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(error_of("remote:\n  host: a\n  hots: b\n"), "gs.yaml:3: remote.hots: unknown key");
  EXPECT_EQ(error_of("remote:\n  host: a\nsyncc:\n  mode: pull\n"), "gs.yaml:3: syncc: unknown key");
}

TEST(Config, DuplicateKeyIsAnError) {
  EXPECT_EQ(error_of("remote:\n  host: a\n  port: 22\n  port: 23\n"), "gs.yaml:4: remote.port: given twice");
}

// remote.host and remote.user travel into known_hosts patterns and into the commands init
// prints for the admin to paste as root: only names and addresses, only login names.
TEST(Config, HostAndUserHoldOnlyWhatANameMay) {
  for (const std::string& host : std::vector<std::string>{"pi.lan", "192.168.1.10", "fe80::1%eth0", "my_host-2.local", "2001:db8::2"}) {
    EXPECT_EQ(error_of("remote:\n  host: \"" + host + "\"\n"), "") << host;
  }
  for (const std::string& host : std::vector<std::string>{"root@pi.lan", "pi lan", "-oProxyCommand=x", "pi;reboot", "*.lan", "pi,other",
                                  ".pi", "pi$(id)", "[pi]:22"}) {
    EXPECT_NE(error_of("remote:\n  host: \"" + host + "\"\n").find("is not a host name or address"),
              std::string::npos)
        << host;
  }
  for (const std::string& user : std::vector<std::string>{"root", "pi", "gravity-sync", "svc_gs", "first.last"}) {
    EXPECT_EQ(error_of("remote:\n  host: a\n  user: \"" + user + "\"\n"), "") << user;
  }
  for (const std::string& user : std::vector<std::string>{"gs;touch /tmp/x;x", "a b", "-rf", "$(id)", "x`id`", "a/b", std::string(33, 'a'),
                                  "~root"}) {
    EXPECT_NE(error_of("remote:\n  host: a\n  user: \"" + user + "\"\n").find("is not a user name"),
              std::string::npos)
        << user;
  }
}

TEST(Config, MalformedValuesAreNamed) {
  EXPECT_EQ(error_of("remote:\n  host: a\nsync:\n  interval: 15\n"),
            "gs.yaml:4: sync.interval: \"15\" is not a duration (a positive whole number with ms, s, m or h)");
  EXPECT_EQ(error_of("remote:\n  host: a\n  port: 70000\n"),
            "gs.yaml:3: remote.port: \"70000\" is not a whole number from 1 to 65535");
  EXPECT_EQ(error_of("remote:\n  host: a\nsync:\n  conflict: newest\n"),
            "gs.yaml:4: sync.conflict: \"newest\" is not one of local, newer, remote, skip");
  EXPECT_EQ(error_of("remote:\n  host: a\nsync:\n  items: [gravity, dhcp]\n"),
            "gs.yaml:4: sync.items: \"dhcp\" is not an item (gravity, custom-dns, cname, static-dhcp, settings)");
  EXPECT_EQ(error_of("remote:\n  host: a\n  sudo: maybe\n"), "gs.yaml:3: remote.sudo: \"maybe\" is not true or false");
  EXPECT_EQ(error_of("remote:\n  host: a\nlocal:\n  pihole_dir: etc/pihole\n"),
            "gs.yaml:4: local.pihole_dir: \"etc/pihole\" must be an absolute path");
  EXPECT_EQ(error_of("remote:\n  host: a\n  container: lxc:pihole\n"),
            "gs.yaml:3: remote.container: \"lxc:pihole\" must be docker:NAME or podman:NAME");
}

// sync.settings: every key FTL knows is either offered, allowed, refused as a key of one
// node (unless under sync.settings_unsafe), or never synced; each refusal says why.
TEST(Config, SettingsKeysAreCheckedAgainstFtlsKeys) {
  const std::string head = "remote:\n  host: a\nsync:\n  items: [gravity, settings]\n";
  struct Case {
    std::string yaml;
    std::string error;
  };
  const Case cases[] = {
      {"  settings: [dns.upstreams, dns.dnssec]\n", ""},
      {"  settings: [dns.port]\n",
       "gs.yaml:5: sync.settings: dns.port is refused: it belongs to one node: the port this node's DNS listens on. "
       "To sync it anyway, list it under sync.settings_unsafe"},
      {"  settings: [dhcp.active]\n",
       "gs.yaml:5: sync.settings: dhcp.active is refused: it belongs to one node: whether this node runs the DHCP "
       "server (two would hand out the same addresses). To sync it anyway, list it under sync.settings_unsafe"},
      {"  settings: [webserver.port]\n",
       "gs.yaml:5: sync.settings: webserver.port is refused: it belongs to one node: this node's web server, its "
       "ports, certificate, sessions or passwords. To sync it anyway, list it under sync.settings_unsafe"},
      {"  settings: [files.pid]\n",
       "gs.yaml:5: sync.settings: files.pid is refused: it belongs to one node: a path on this node. To sync it "
       "anyway, list it under sync.settings_unsafe"},
      {"  settings_unsafe: [dns.port, dhcp.active]\n", ""},
      {"  settings: [dns.hosts]\n",
       "gs.yaml:5: sync.settings: dns.hosts cannot be synced: the item custom-dns syncs it (add custom-dns to "
       "sync.items)"},
      {"  settings_unsafe: [webserver.api.password]\n",
       "gs.yaml:5: sync.settings_unsafe: webserver.api.password cannot be synced: FTL never prints its value, so it "
       "cannot be compared"},
      {"  settings: [dns.nosuch]\n",
       "gs.yaml:5: sync.settings: \"dns.nosuch\" is not a key of Pi-hole v6's pihole.toml (as `pihole-FTL --config` "
       "lists them)"},
      {"  settings: [dns.upstreams, dns.upstreams]\n", "gs.yaml:5: sync.settings: \"dns.upstreams\" is listed twice"},
      {"  settings: [dns.upstreams]\n  settings_unsafe: [dns.upstreams]\n",
       "gs.yaml:6: sync.settings_unsafe: dns.upstreams is in sync.settings too"},
      {"  settings: []\n",
       "gs.yaml:5: sync.settings: lists no key, and sync.items has settings: name the keys to sync, or take "
       "settings out of sync.items"},
      {"  settings: dns.upstreams\n",
       "gs.yaml:5: sync.settings: must be a list of pihole.toml keys such as [dns.upstreams, dns.dnssec]"},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(head + c.yaml), c.error) << c.yaml;
}

TEST(Config, SettingsStandInSyncItemsForTheirKeysInOrder) {
  const Config c = parse_config(
      "remote:\n  host: a\nsync:\n  items: [gravity, settings, cname]\n  settings: [dns.dnssec, dns.upstreams]\n"
      "  settings_unsafe: [dns.port]\n",
      "gs.yaml");
  std::vector<std::string> names;
  for (Item item : c.sync.items) names.push_back(item_name(item));
  EXPECT_EQ(names, (std::vector<std::string>{"gravity", "settings.dns.dnssec", "settings.dns.upstreams",
                                             "settings.dns.port", "cname"}));
  // Without sync.settings, the keys offered; without `settings` in sync.items, none.
  const Config offered = parse_config("remote:\n  host: a\nsync:\n  items: [settings]\n", "gs.yaml");
  EXPECT_GE(offered.sync.items.size(), 10u);
  EXPECT_EQ(std::string(item_name(offered.sync.items.front())), "settings.dns.upstreams");
  EXPECT_EQ(parse_config("remote:\n  host: a\n", "gs.yaml").sync.items.size(), 3u);
}

TEST(Config, GravityModeIsFileOrTables) {
  EXPECT_EQ(parse_config("remote:\n  host: a\nsync:\n  gravity_mode: tables\n", "gs.yaml").sync.gravity_mode,
            GravityMode::tables);
  EXPECT_EQ(error_of("remote:\n  host: a\nsync:\n  gravity_mode: rows\n"),
            "gs.yaml:4: sync.gravity_mode: \"rows\" is not one of file, tables");
  EXPECT_EQ(error_of("remote:\n  host: a\n  sudo: false\n  container: \"\"\nhooks:\n  on_success: \"\"\n"), "");
}

TEST(Config, SudoAndContainersAreAccepted) {
  auto c = parse_config("remote:\n  host: a\n  user: pi\n  sudo: true\n  container: docker:pihole\n"
                        "local:\n  container: podman:pi-hole_2\n", "gs.yaml");
  EXPECT_TRUE(c.remotes.at(0).sudo);
  EXPECT_EQ(c.remotes.at(0).layout.container, "docker:pihole");
  EXPECT_EQ(c.local.container, "podman:pi-hole_2");
  EXPECT_FALSE(c.remotes.at(0).compression);
  EXPECT_TRUE(parse_config("remote:\n  host: a\n  compression: true\n", "gs.yaml").remotes.at(0).compression);
  EXPECT_EQ(c.local.container_prefix(), (std::vector<std::string>{"podman", "exec", "-i", "pi-hole_2"}));
  EXPECT_EQ(error_of("remote:\n  host: a\n  container: \"docker:pi hole;x\"\n"),
            "gs.yaml:3: remote.container: \"pi hole;x\" is not a container name (letters, digits, '_', '.', '-')");
}

TEST(Config, PathsWithQuotesAreRefused) {
  EXPECT_EQ(error_of("remote:\n  host: a\n  pihole_dir: \"/etc/pi'hole\"\n"),
            "gs.yaml:3: remote.pihole_dir: \"/etc/pi'hole\" must not contain quotes or backslashes");
}

TEST(Config, HostIsRequired) {
  EXPECT_EQ(error_of("sync:\n  mode: pull\n"), "gs.yaml:1: remote.host: is required");
  EXPECT_EQ(error_of("remote:\n  port: 22\n"), "gs.yaml:2: remote.host: is required");
}

TEST(Config, ControlCharactersAndShellMetacharactersInHostAreRefused) {
  EXPECT_EQ(error_of("remote:\n  host: \"a\\nb\"\n"), "gs.yaml:2: remote.host: must not contain control characters");
  EXPECT_EQ(error_of("remote:\n  host: \"a;rm -rf /\"\n"),
            "gs.yaml:2: remote.host: \"a;rm -rf /\" is not a host name or address (the user goes in remote.user)");
}

TEST(Config, SyntaxErrorNamesTheLine) {
  EXPECT_EQ(error_of("remote:\n  host: [a, b\nsync: {}\n"), "gs.yaml:3: (syntax): end of sequence flow not found");
}

TEST(Config, DurationsInEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), Millis(250));
  EXPECT_EQ(parse_duration("15s"), Millis(15'000));
  EXPECT_EQ(parse_duration("2m"), Millis(120'000));
  EXPECT_EQ(parse_duration("1h"), Millis(3'600'000));
  EXPECT_FALSE(parse_duration("0s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1.5s"));
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("10 s"));
  EXPECT_EQ(format_duration(Millis(60'000)), "1m");
  EXPECT_EQ(format_duration(Millis(1500)), "1500ms");
}

TEST(Config, ConfigPathPrecedence) {
  ::setenv("GRAVITY_SYNC_CONFIG", "/tmp/env.yaml", 1);
  EXPECT_EQ(resolve_config_path("/tmp/cli.yaml"), "/tmp/cli.yaml");
  EXPECT_EQ(resolve_config_path(""), "/tmp/env.yaml");
  ::unsetenv("GRAVITY_SYNC_CONFIG");
  EXPECT_EQ(resolve_config_path(""), "/etc/gravity-sync/gravity-sync.yaml");
}

// `remotes:` (CONTRACT.md): named peers with the keys of `remote:`; `remote:` is one peer
// named after its host.
TEST(Config, RemotesAreNamedPeersAndRemoteIsOne) {
  const Config one = parse_config("remote:\n  host: pi1.lan\n", "gs.yaml");
  ASSERT_EQ(one.remotes.size(), 1u);
  EXPECT_EQ(one.remotes[0].name, "pi1.lan");
  EXPECT_FALSE(one.named_peers);
  const Config many = parse_config(
      "remotes:\n  - name: pi1\n    host: 10.0.0.1\n  - name: pi-2\n    host: 10.0.0.2\n    port: 2222\n"
      "    sudo: true\n    user: gs\n    pihole_dir: /srv/pihole\n",
      "gs.yaml");
  ASSERT_EQ(many.remotes.size(), 2u);
  EXPECT_TRUE(many.named_peers);
  EXPECT_EQ(many.remotes[0].name, "pi1");
  EXPECT_EQ(many.remotes[0].port, 22);
  EXPECT_EQ(many.remotes[1].name, "pi-2");
  EXPECT_EQ(many.remotes[1].port, 2222);
  EXPECT_TRUE(many.remotes[1].sudo);
  EXPECT_EQ(many.remotes[1].layout.pihole_dir, "/srv/pihole");
  EXPECT_EQ(many.remotes[0].layout.pihole_dir, "/etc/pihole");

  auto selected = select_peers(many, "pi-2");
  ASSERT_TRUE(selected.ok());
  ASSERT_EQ(selected->size(), 1u);
  EXPECT_EQ(selected->front().name, "pi-2");
  EXPECT_EQ(select_peers(many, std::nullopt)->size(), 2u);
  EXPECT_FALSE(select_peers(many, std::string()).ok()) << "--peer \"\" is no peer, not every peer";
  EXPECT_EQ(select_peers(many, "pi-2,pi1")->front().name, "pi1");  // the config's order
  auto unknown = select_peers(many, "pi1,pi3");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ExitCode::usage);
  EXPECT_NE(unknown.error().message.find("\"pi3\" is not a peer"), std::string::npos) << unknown.error().message;
  EXPECT_FALSE(select_peers(many, "pi1,").ok());
}

TEST(Config, BadRemotesAreNamedByEntryAndKey) {
  const struct {
    const char* yaml;
    const char* said;
  } cases[] = {
      {"remotes:\n  - host: a\n", "gs.yaml:2: remotes[0].name: is required"},
      {"remotes:\n  - name: a\n", "remotes[0].host: is required"},
      {"remotes:\n  - name: Pi1\n    host: a\n", "remotes[0].name: \"Pi1\" is not a peer name"},
      {"remotes:\n  - name: a_b\n    host: a\n", "is not a peer name"},
      {"remotes:\n  - name: a\n    host: h1\n  - name: a\n    host: h2\n", "remotes[1].name: \"a\" is given twice"},
      {"remotes:\n  - name: a\n    host: h1\n  - name: b\n    host: h1\n", "remotes[1].host: h1 port 22 is peer \"a\""},
      {"remotes: []\n", "remotes: must be a list of peers"},
      {"remotes:\n  name: a\n  host: b\n", "remotes: must be a list of peers"},
      {"remotes:\n  - name: a\n    host: b\n    colour: red\n", "remotes[0].colour: unknown key"},
      {"remotes:\n  - name: a\n    host: b\n    port: 0\n", "remotes[0].port"},
      {"remote:\n  host: x\nremotes:\n  - name: a\n    host: b\n", "give either remote: (one peer) or remotes:"},
      {"remote:\n  name: a\n  host: b\n", "remote.name: unknown key"},
      {"remotes:\n  - a\n", "remotes[0]: must be a mapping"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string err = error_of(c.yaml);
    EXPECT_NE(err.find(c.said), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace gs
