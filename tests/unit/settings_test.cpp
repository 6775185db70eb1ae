#include <gtest/gtest.h>

#include "gravity_sync/pihole/ftl_keys.hpp"
#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/settings.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

const FtlKey& key(std::string_view name) {
  const FtlKey* k = find_ftl_key(name);
  if (!k) throw std::runtime_error("no FTL key " + std::string(name));
  return *k;
}

TEST(Settings, TheKeyListIsFtlsOwn) {
  EXPECT_EQ(ftl_keys().size(), 162u);  // FTL v6.4.1 src/config/config.c
  EXPECT_EQ(key("dns.upstreams").type, FtlType::string_array);
  EXPECT_TRUE(key("dns.upstreams").flags & kFtlRestart);
  EXPECT_FALSE(key("dns.blockTTL").flags & kFtlRestart);
  EXPECT_EQ(find_ftl_key("dns"), nullptr);
  EXPECT_EQ(find_ftl_key("dns.upstreams.x"), nullptr);
  const Item up = Item::setting(key("dns.upstreams"));
  EXPECT_EQ(std::string(item_name(up)), "settings.dns.upstreams");
  EXPECT_EQ(parse_item("settings.dns.upstreams"), up);
  EXPECT_EQ(parse_item("settings.dns.nosuch"), std::nullopt);
  EXPECT_EQ(parse_item("settings."), std::nullopt);
  EXPECT_EQ(std::string(ftl_key(up)), "dns.upstreams");
  EXPECT_EQ(ftl_env_var(up), "FTLCONF_dns_upstreams");
}

// A value from a peer or a backup is data: only one line of JSON of the key's own type,
// without control characters, becomes a canonical form.
TEST(Settings, OnlyAValueOfTheKeysTypeIsCanonical) {
  struct Case {
    const char* key;
    std::string json;
    std::string canonical;  // empty: refused
  };
  const Case cases[] = {
      {"dns.dnssec", "true", "true"},
      {"dns.dnssec", "\"true\"", ""},
      {"dns.dnssec", "1", ""},
      {"dns.blockTTL", "7", "7"},
      {"dns.blockTTL", "7.5", ""},
      {"dns.blockTTL", "-1", ""},  // FTL would store 4294967295
      {"dns.blockTTL", "4294967295", "4294967295"},
      {"dns.blockTTL", "4294967296", ""},
      {"dns.blockTTL", "9223372036854775807", ""},
      {"dns.cache.size", "-1", ""},
      {"dns.blockTTL", "\"7\"", ""},
      {"dns.domain.name", "\"lan\"", "\"lan\""},
      {"dns.domain.name", "lan", ""},
      {"dns.domain.name", "\"a\\nb\"", ""},
      {"dns.domain.name", "\"a\\u0000b\"", ""},
      {"dns.blocking.mode", "\"NULL\"", "\"NULL\""},
      {"dns.upstreams", "[\"1.1.1.1\", \"9.9.9.9#53\"]", "[\"1.1.1.1\", \"9.9.9.9#53\"]"},
      {"dns.upstreams", "[]", "[]"},
      {"dns.upstreams", "[1]", ""},
      {"dns.upstreams", "\"1.1.1.1\"", ""},
      {"dns.upstreams", "[\"1.1.1.1\"]\n[]", ""},
      {"dns.upstreams", "[\"a\tb\"]", "[\"a\\tb\"]"},
      {"webserver.api.temp.limit", "60", ""},
      {"misc.privacylevel", "1", "1"},
  };
  for (const auto& c : cases) {
    auto got = canonical_setting(key(c.key), c.json);
    if (c.canonical.empty()) {
      EXPECT_FALSE(got.ok()) << c.key << " " << c.json << " -> " << (got.ok() ? *got : "");
      if (!got.ok()) {
        EXPECT_EQ(got.error().code, ExitCode::refused);
      }
    } else {
      ASSERT_TRUE(got.ok()) << c.key << " " << c.json << ": " << got.error().message;
      EXPECT_EQ(*got, c.canonical) << c.key << " " << c.json;
    }
  }
  // What pihole-FTL --config KEY VALUE is given: strings as they are, the rest as JSON.
  EXPECT_EQ(setting_cli_value(key("dns.domain.name"), "\"my \\\"lan\\\"\""), "my \"lan\"");
  EXPECT_EQ(setting_cli_value(key("dns.upstreams"), "[\"1.1.1.1\"]"), "[\"1.1.1.1\"]");
  EXPECT_EQ(setting_cli_value(key("dns.upstreams"), "[\"1.1.1.1\", \"a, b\"]"), "[\"1.1.1.1\",\"a, b\"]");
  EXPECT_EQ(setting_cli_value(key("dns.dnssec"), "true"), "true");
}

// pihole.toml as FTL writes it: each value read by its type; a value of another type is
// refused naming the key; FTL's mark of a value an FTLCONF_ variable sets is seen.
TEST(Settings, ValuesAreReadFromPiholeTomlByTheirType) {
  const std::string text =
      "[dns]\n"
      "  upstreams = [\n    \"127.0.0.1#5399\",\n    \"a, b\"\n  ] ### CHANGED, default = []\n"
      "  blockTTL = 9 ### CHANGED (env), default = 2\n"
      "  dnssec = \"yes\"\n"
      "[misc]\n  privacylevel = 1 ### CHANGED, default = 0\n"
      "[dns.domain]\n    name = \"lan\"\n";
  auto toml = PiholeToml::parse(text);
  ASSERT_TRUE(toml.ok());
  EXPECT_EQ(**toml->setting(key("dns.upstreams")), "[\"127.0.0.1#5399\", \"a, b\"]");
  EXPECT_EQ(**toml->setting(key("dns.blockTTL")), "9");
  EXPECT_EQ(**toml->setting(key("dns.domain.name")), "\"lan\"");
  EXPECT_EQ(**toml->setting(key("misc.privacylevel")), "1");          // an enumeration FTL writes as its number
  EXPECT_FALSE(toml->setting(key("dns.queryLogging"))->has_value());  // absent: missing there
  EXPECT_FALSE(toml->setting(key("dns.dnssec")).ok());
  EXPECT_TRUE(toml->set_by_env("dns.blockTTL"));
  EXPECT_FALSE(toml->set_by_env("dns.upstreams"));
  EXPECT_FALSE(toml->set_by_env("dns.domain.name"));
  EXPECT_FALSE(toml->set_by_env("dns.nosuch"));
  // FTL marks every value but a default one CHANGED.
  EXPECT_FALSE(toml->at_default("dns.upstreams"));
  EXPECT_FALSE(toml->at_default("dns.blockTTL"));
  EXPECT_TRUE(toml->at_default("dns.domain.name"));
  EXPECT_FALSE(toml->at_default("dns.queryLogging"));  // absent
  // FTL's mark only right after the value: not inside a string, not in a comment of its own.
  auto marked = PiholeToml::parse(
      "[dns]\n  name = \"y ### CHANGED (env).lan\"\n  ttl = 3 # a note: ### CHANGED (env)\n"
      "  ups = [\n    \"a\"\n  ] ### CHANGED (env), default = []\n  b = true\t### CHANGED (env)\n");
  ASSERT_TRUE(marked.ok());
  EXPECT_FALSE(marked->set_by_env("dns.name"));
  EXPECT_FALSE(marked->set_by_env("dns.ttl"));
  EXPECT_TRUE(marked->set_by_env("dns.ups"));
  EXPECT_TRUE(marked->set_by_env("dns.b"));
  // A settings item's records: its canonical form, one line; the backup is that line.
  const Item up = Item::setting(key("dns.upstreams"));
  auto records = records_from_toml(*toml, up);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(file_from_records(up, *records), "[\"127.0.0.1#5399\", \"a, b\"]\n");
  EXPECT_EQ(records_from_file(up, file_from_records(up, *records)), *records);
  EXPECT_TRUE(validate_text_item(up, "[\"1.1.1.1\"]\n").ok());
  EXPECT_FALSE(validate_text_item(up, "[\"1.1.1.1\"]\n[]\n").ok());
  EXPECT_FALSE(validate_text_item(up, "true\n").ok());
}

// Every key FTL knows has a class; the keys of one node the contract names are refused.
TEST(Settings, KeysOfOneNodeAreRefusedAndTheOthersOffered) {
  for (const char* k : {"dns.interface", "dns.port", "dns.listeningMode", "dhcp.active", "dhcp.start", "dhcp.end",
                        "dhcp.router", "webserver.port", "webserver.api.pwhash", "files.database", "ntp.sync.server",
                        "misc.dnsmasq_lines", "dns.reply.host.IPv4"}) {
    EXPECT_EQ(setting_class(key(k)).cls, SettingClass::node) << k;
  }
  for (const char* k : {"dns.hosts", "dns.cnameRecords", "dhcp.hosts", "webserver.api.password"}) {
    EXPECT_EQ(setting_class(key(k)).cls, SettingClass::never) << k;
  }
  for (const char* k : {"dns.upstreams", "dns.revServers", "dns.domain.name", "dns.blocking.mode", "dns.dnssec",
                        "dns.rateLimit.count", "dns.queryLogging"}) {
    EXPECT_EQ(setting_class(key(k)).cls, SettingClass::offered) << k;
  }
  EXPECT_EQ(setting_class(key("misc.privacylevel")).cls, SettingClass::allowed);
}

const char* class_word(SettingClass c) {
  switch (c) {
    case SettingClass::offered:
      return "offered";
    case SettingClass::allowed:
      return "allowed";
    case SettingClass::node:
      return "refused";
    case SettingClass::never:
      return "never";
  }
  return "?";
}

// docs/PIHOLE-V6.md's table of keys is the code's: every key, its class and whether FTL
// restarts for it. On a mismatch the expected table is printed, to paste.
TEST(Settings, TheDocsTableIsTheCodes) {
  std::string want;
  for (const FtlKey& k : ftl_keys()) {
    const SettingVerdict v = setting_class(k);
    const char* restarts = k.key == "misc.privacylevel" ? "when lowered" : (k.flags & kFtlRestart) ? "yes" : "no";
    want += "| `" + std::string(k.key) + "` | " + class_word(v.cls) + " | " + restarts + " | " + v.why + " |\n";
  }
  const std::string doc = test::read_text(std::string(GS_SOURCE_DIR) + "/docs/PIHOLE-V6.md");
  const std::string begin = "<!-- settings-table -->\n", end = "<!-- /settings-table -->";
  const auto b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const std::string header = "| key | class | FTL restarts | why |\n|---|---|---|---|\n";
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), header + want) << header << want;
}

}  // namespace
}  // namespace gs
