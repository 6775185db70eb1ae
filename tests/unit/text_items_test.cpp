#include <gtest/gtest.h>

#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/ssh/session.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/shell.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

TEST(TextItems, CustomListAcceptsAddressesNamesAndComments) {
  EXPECT_TRUE(validate_text_item(Item::custom_dns,
                                 "192.168.1.10 nas.lan\n# comment\n\n"
                                 "fd00::1 v6.lan alias.lan\n10.0.0.1\tpc.lan # trailing\n")
                  .ok());
  EXPECT_TRUE(validate_text_item(Item::custom_dns, "").ok());
}

TEST(TextItems, CustomListRefusesAnythingElse) {
  auto st = validate_text_item(Item::custom_dns, "192.168.1.10 nas.lan\naddress=/x/1.2.3.4\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ExitCode::refused);
  EXPECT_EQ(st.error().message,
            "custom-dns line 2 is not an `IP HOSTNAME...` line or a comment");
  EXPECT_FALSE(validate_text_item(Item::custom_dns, "300.1.1.1 a.lan\n").ok());
  EXPECT_FALSE(validate_text_item(Item::custom_dns, "10.0.0.1\n").ok());
  EXPECT_FALSE(validate_text_item(Item::custom_dns, "10.0.0.1 a;b\n").ok());
}

// A refusal names the line, never its content: a Pi-hole file's bytes reach no log, JSON
// report or state file (the file may not be what it seems, and the report is kept).
TEST(TextItems, RefusalsNameTheLineNotItsContent) {
  struct Case {
    Item item;
    std::string file;
  };
  const std::string secret = "s3cr3t";
  const Case cases[] = {
      {Item::custom_dns, "root:" + secret + ":19000:0:99999:7:::\n"},
      {Item::custom_dns, "10.0.0.1 " + secret + "\xff.lan\n"},
      {Item::cname, "cname=" + secret + ".lan,b.lan\x01\n"},
      {Item::cname, "cname=" + secret + ".lan,x.lan\ncname=" + secret + ".lan,y.lan\n"},
      {Item::cname, "cname=" + secret + ".lan," + secret + ".lan\n"},
      {Item::cname, "cname=" + secret + "\xc3\xa9.lan,b.lan\n"},
      {Item::static_dhcp, "dhcp-host=" + secret + "\x1b[31m\n"},
      {Item::static_dhcp, "# " + std::string(1100, 'x') + secret + "\n"},
  };
  for (const auto& c : cases) {
    auto st = validate_text_item(c.item, c.file);
    ASSERT_FALSE(st.ok()) << c.file;
    EXPECT_EQ(st.error().message.find(secret), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("line "), std::string::npos) << st.error().message;
  }
}

TEST(TextItems, CnameFileHoldsOnlyCnameLines) {
  EXPECT_TRUE(validate_text_item(Item::cname, "cname=files.lan,nas.lan\ncname=a.lan,b.lan,c.lan,300\n# x\n")
                  .ok());
  auto st =
      validate_text_item(Item::cname, "cname=files.lan,nas.lan\ndhcp-script=/tmp/evil.sh\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "cname line 2 is not a `cname=ALIAS,TARGET` line or a comment");
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=only.lan\n").ok());
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=a.lan,b.lan\nconf-dir=/tmp\n").ok());
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=a.lan,b.lan/../x\n").ok());
}

TEST(TextItems, ACnameFileDnsmasqWouldNotStartWithIsRefused) {
  struct Case {
    const char* file;
    const char* why;
  };
  const Case cases[] = {
      {"cname=a.lan,x.lan\ncname=A.lan,y.lan\n", "line 2 gives the alias of line 1 a second time"},
      {"cname=a.lan,b.lan\ncname=b.lan,a.lan\n", "comes back to its alias"},
      {"cname=a.lan,a.lan\n", "line 1 starts a chain of CNAMEs that comes back"},
      {"cname=a.lan,b.lan,c.lan\ncname=c.lan,d.lan\ncname=d.lan,b.lan\n", "line 1 starts a chain"},
      // dnsmasq drops one trailing dot: found attacking issue 12 (FTL v5 stopped on these).
      {"cname=loop.lan,loop.lan.\n", "line 1 starts a chain of CNAMEs that comes back"},
      {"cname=dup.lan,a.lan\ncname=dup.lan.,b.lan\n", "line 2 gives the alias of line 1 a second time"},
      {"cname=a.lan.,b.lan\ncname=B.lan,A.LAN\n", "comes back to its alias"},
  };
  for (const auto& c : cases) {
    auto st = validate_text_item(Item::cname, c.file);
    ASSERT_FALSE(st.ok()) << c.file;
    EXPECT_NE(st.error().message.find(c.why), std::string::npos) << st.error().message;
  }
  EXPECT_TRUE(validate_text_item(Item::cname, "cname=a.lan,b.lan\ncname=c.lan,a.lan\n").ok());
  const std::string long_label = "cname=" + std::string(64, 'a') + ".lan,b.lan\n";
  EXPECT_FALSE(validate_text_item(Item::cname, long_label).ok());
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=a..lan,b.lan\n").ok());
  EXPECT_FALSE(
      validate_text_item(Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptöp\n")
          .ok());
}

TEST(TextItems, NoLineIsLongerThanDnsmasqReads) {
  // dnsmasq reads 1,023 bytes of a line; what follows would be a line of its own.
  const std::string pad(1023 - std::string("cname=a.lan,b.lan # ").size(), 'x');
  EXPECT_TRUE(validate_text_item(Item::cname, "cname=a.lan,b.lan # " + pad + "\n").ok());
  const std::string smuggled = "cname=a.lan,b.lan # " + pad + "dhcp-script=/tmp/evil.sh\n";
  auto st = validate_text_item(Item::cname, smuggled);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("dnsmasq reads at most 1023 bytes of a line"), std::string::npos) << st.error().message;
  for (Item item : {Item::custom_dns, Item::static_dhcp}) {
    EXPECT_FALSE(validate_text_item(item, "# " + std::string(1100, 'c') + "\n").ok()) << item_name(item);
  }
}

TEST(TextItems, EveryLineIsValidUtf8) {
  // A Latin-1 custom.list would make FTL v6 write a pihole.toml that is not UTF-8.
  struct Case {
    std::string line;
    bool ok;
  };
  const Case cases[] = {
      {"192.168.1.10 nas.lan # caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", true},
      {"192.168.1.10 nas.lan # caf\xe9", false},          // Latin-1
      {"192.168.1.10 nas.lan # \xc0\xae", false},         // overlong
      {"192.168.1.10 nas.lan # \xed\xa0\x80", false},     // a surrogate
      {"192.168.1.10 nas.lan # \xf4\x90\x80\x80", false},  // past U+10FFFF
      {"192.168.1.10 nas.lan # \xe2\x9c", false},         // cut short
  };
  for (const auto& c : cases) {
    auto st = validate_text_item(Item::custom_dns, c.line + "\n");
    EXPECT_EQ(st.ok(), c.ok) << c.line;
    if (!c.ok) {
      EXPECT_NE(st.error().message.find("not valid UTF-8"), std::string::npos) << st.error().message;
    }
  }
}

TEST(TextItems, StaticDhcpHoldsOnlyDhcpHostLines) {
  EXPECT_TRUE(
      validate_text_item(Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\n")
          .ok());
  EXPECT_TRUE(
      validate_text_item(Item::static_dhcp, "dhcp-host=[fd00::5],host6,infinite\n").ok());
  EXPECT_FALSE(validate_text_item(Item::static_dhcp, "dhcp-script=/bin/sh\n").ok());
  EXPECT_FALSE(validate_text_item(Item::static_dhcp, "dhcp-host=aa:bb,1.2.3.4,x y\n").ok());
}

// Lines dnsmasq reads as one record of the item (option.c read_file): accepted; anything
// that would be another directive, or that dnsmasq would split or refuse: refused.
struct LineVerdict {
  Item item;
  const char* line;
  bool ok;
};

TEST(TextItems, LinesAsDnsmasqReadsThem) {
  const LineVerdict cases[] = {
      {Item::cname, "cname=tv.lan,nas.lan # the NAS", true},
      {Item::cname, "   cname=tv.lan,nas.lan", true},
      {Item::cname, "cname = tv.lan,nas.lan", true},
      {Item::cname, "cname=tv.lan, nas.lan", true},
      {Item::cname, "cname=tv.lan,nas.lan,300 # ttl", true},
      {Item::cname, "cname=tv.lan,nas.lan#x", false},
      {Item::cname, "cname=\"tv.lan\",nas.lan", false},
      {Item::cname, "cname=tv.lan,nas.lan\x1b[2J", false},
      {Item::cname, "cnamex=tv.lan,nas.lan", false},
      {Item::cname, "cname= # nothing", false},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop # desk", true},
      {Item::static_dhcp, "dhcp-host = aa:bb:cc:dd:ee:ff, 192.168.1.50", true},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,,laptop", false},
      {Item::custom_dns, "192.168.1.2 nas.lan # it's \"mine\" \\ ✓", true},
      {Item::custom_dns, "  192.168.1.2   nas.lan", true},
      {Item::custom_dns, "192.168.1.2 nas.lan\x7f", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(validate_text_item(c.item, std::string(c.line) + "\n").ok(), c.ok)
        << item_name(c.item) << ": " << c.line;
  }
}

TEST(TextItems, AnItemBeyondTheSizeCapIsRefusedWhateverReadIt) {
  // A remote restore reads one byte more than an item may hold: that alone refuses it.
  std::string big = "cname=files.lan,nas.lan\n";
  while (big.size() <= kMaxTextItem) big += "# " + std::string(200, 'x') + "\n";
  for (Item item : {Item::custom_dns, Item::cname, Item::static_dhcp}) {
    auto st = validate_text_item(item, big);
    ASSERT_FALSE(st.ok()) << item_name(item);
    EXPECT_EQ(st.error().code, ExitCode::refused);
    EXPECT_NE(st.error().message.find("larger than 4 MiB"), std::string::npos) << st.error().message;
  }
  EXPECT_TRUE(validate_text_item(Item::cname, big.substr(0, 1 << 20)).ok());
}

TEST(Shell, QuotingSurvivesEverything) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
  EXPECT_TRUE(has_control_chars("a\nb"));
  EXPECT_FALSE(has_control_chars("plain /path"));
  // A word shown in advice is quoted only when a shell needs it.
  EXPECT_EQ(shell_word("/etc/gravity-sync/id_ed25519.pub"), "/etc/gravity-sync/id_ed25519.pub");
  EXPECT_EQ(shell_word("root@10.0.0.2"), "root@10.0.0.2");
  EXPECT_EQ(shell_word("/my keys/id"), "'/my keys/id'");
  EXPECT_EQ(shell_word("$(id)"), "'$(id)'");
  EXPECT_EQ(shell_word(""), "''");
}

TEST(Ssh, KeyAdviceNamesWhatIsMissing) {
  test::TempDir dir;
  SshOptions o;
  o.host = "10.0.0.2";
  o.port = 22;
  o.user = "root";
  o.identity_file = dir.path() + "/id";
  EXPECT_NE(key_install_advice(o).find("There is no key at " + o.identity_file + ": `gravity-sync init` creates one"),
            std::string::npos)
      << key_install_advice(o);
  test::write_text(o.identity_file, "private");
  EXPECT_NE(key_install_advice(o).find("ssh-keygen -y -f " + o.identity_file + " > " + o.identity_file + ".pub"),
            std::string::npos)
      << key_install_advice(o);
  test::write_text(o.identity_file + ".pub", "public");
  EXPECT_EQ(key_install_advice(o),
            "Install its public key " + o.identity_file + ".pub in root's authorized_keys there: `gravity-sync init` "
            "prints the commands for a stock Pi-hole (or ssh-copy-id -i " + o.identity_file +
                ".pub -p 22 root@10.0.0.2, where that user may log in with a password).");
}

TEST(Json, RoundTrip) {
  Json doc = Json::object();
  doc.set("s", "a\"b\\c\n");
  doc.set("n", int64_t{1795408772});
  doc.set("b", true);
  doc.set("null", Json());
  Json arr = Json::array();
  arr.push(1);
  arr.push("x");
  doc.set("a", arr);
  const std::string text = doc.dump();
  EXPECT_EQ(text, "{\"s\": \"a\\\"b\\\\c\\n\", \"n\": 1795408772, \"b\": true, \"null\": null, \"a\": [1, \"x\"]}");
  auto back = Json::parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dump(), text);
  EXPECT_EQ((*back)["s"].as_string(), "a\"b\\c\n");
  EXPECT_FALSE(Json::parse("{\"a\": }"));
}

TEST(Json, ParsingIsTotal) {
  // Nesting past 64 levels, numbers that do not fit, broken input: no crash, no exception.
  EXPECT_FALSE(Json::parse(std::string(100000, '[') + std::string(100000, ']')));
  EXPECT_TRUE(Json::parse(std::string(60, '[') + std::string(60, ']')));
  EXPECT_FALSE(Json::parse("99999999999999999999999"));
  EXPECT_FALSE(Json::parse("-"));
  EXPECT_FALSE(Json::parse("1e999999"));
  EXPECT_EQ(Json::parse("{\"took\": 8.5e-05, \"n\": -42}")->operator[]("n").as_int(), -42);
  EXPECT_EQ(Json::parse("{\"took\": 8.5e-05}")->operator[]("took").as_int(), 0);
  for (const char* bad : {"{", "[1,", "\"abc", "{\"a\" 1}", "[1 2]", "nul", "\"\\u12\"", ""}) {
    EXPECT_FALSE(Json::parse(bad)) << bad;
  }
}

TEST(Json, UnicodeEscapesDecodeToUtf8SurrogatePairsIncluded) {
  struct Case {
    const char* json;
    const char* text;
  };
  const Case ok[] = {
      {R"("\u0041")", "A"},       {R"("\u00e4ste")", "äste"},       {R"("\u2713")", "✓"},
      {R"("\ud83d\ude00")", "😀"}, {R"("\uD83D\uDE00 ok")", "😀 ok"}, {R"("a\/b")", "a/b"},
  };
  for (const auto& c : ok) {
    auto v = Json::parse(c.json);
    ASSERT_TRUE(v) << c.json;
    EXPECT_EQ(v->as_string(), c.text) << c.json;
    // And back: what we write parses to the same text.
    EXPECT_EQ(Json::parse(Json(v->as_string()).dump())->as_string(), c.text);
  }
  for (const char* bad : {R"("\ud83d")", R"("\ud83d\u0041")", R"("\ude00")", R"("\uzzzz")", R"("\u12")", R"("\q")"}) {
    EXPECT_FALSE(Json::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace gs
