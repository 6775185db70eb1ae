#include <gtest/gtest.h>

#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {
namespace {

TEST(TextItems, CustomListAcceptsAddressesNamesAndComments) {
  EXPECT_TRUE(validate_text_item(Item::custom_dns, "192.168.1.10 nas.lan\n# comment\n\n"
                                                   "fd00::1 v6.lan alias.lan\n10.0.0.1\tpc.lan # trailing\n").ok());
  EXPECT_TRUE(validate_text_item(Item::custom_dns, "").ok());
}

TEST(TextItems, CustomListRefusesAnythingElse) {
  auto st = validate_text_item(Item::custom_dns, "192.168.1.10 nas.lan\naddress=/x/1.2.3.4\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ExitCode::refused);
  EXPECT_EQ(st.error().message,
            "custom-dns line 2 is not an `IP HOSTNAME...` line or a comment: \"address=/x/1.2.3.4\"");
  EXPECT_FALSE(validate_text_item(Item::custom_dns, "300.1.1.1 a.lan\n").ok());
  EXPECT_FALSE(validate_text_item(Item::custom_dns, "10.0.0.1\n").ok());
  EXPECT_FALSE(validate_text_item(Item::custom_dns, "10.0.0.1 a;b\n").ok());
}

TEST(TextItems, CnameFileHoldsOnlyCnameLines) {
  EXPECT_TRUE(validate_text_item(Item::cname, "cname=files.lan,nas.lan\ncname=a.lan,b.lan,c.lan,300\n# x\n").ok());
  auto st = validate_text_item(Item::cname, "cname=files.lan,nas.lan\ndhcp-script=/tmp/evil.sh\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "cname line 2 is not a `cname=ALIAS,TARGET` line or a comment: \"dhcp-script=/tmp/evil.sh\"");
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=only.lan\n").ok());
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=a.lan,b.lan\nconf-dir=/tmp\n").ok());
  EXPECT_FALSE(validate_text_item(Item::cname, "cname=a.lan,b.lan/../x\n").ok());
}

TEST(TextItems, StaticDhcpHoldsOnlyDhcpHostLines) {
  EXPECT_TRUE(validate_text_item(Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\n").ok());
  EXPECT_TRUE(validate_text_item(Item::static_dhcp, "dhcp-host=[fd00::5],host6,infinite\n").ok());
  EXPECT_FALSE(validate_text_item(Item::static_dhcp, "dhcp-script=/bin/sh\n").ok());
  EXPECT_FALSE(validate_text_item(Item::static_dhcp, "dhcp-host=aa:bb,1.2.3.4,x y\n").ok());
}

TEST(Shell, QuotingSurvivesEverything) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
  EXPECT_TRUE(has_control_chars("a\nb"));
  EXPECT_FALSE(has_control_chars("plain /path"));
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

}  // namespace
}  // namespace gs
