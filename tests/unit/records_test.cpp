#include <gtest/gtest.h>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/sha256.hpp"

namespace gs {
namespace {

TEST(Records, V5FilesBecomeRecordsWithoutCommentsOrExtraSpace) {
  EXPECT_EQ(records_from_file(Item::custom_dns, "# local hosts\n192.168.1.10   nas.lan\n\n10.0.0.1\tpc.lan  pc # office\r\n"),
            (Records{"192.168.1.10 nas.lan", "10.0.0.1 pc.lan pc"}));
  EXPECT_EQ(records_from_file(Item::cname, "cname=files.lan,nas.lan\n  # x\ncname=a.lan,b.lan,300\n"),
            (Records{"files.lan,nas.lan", "a.lan,b.lan,300"}));
  EXPECT_EQ(records_from_file(Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\n"),
            (Records{"aa:bb:cc:dd:ee:ff,192.168.1.50,laptop"}));
  EXPECT_TRUE(records_from_file(Item::cname, "").empty());
}

TEST(Records, RenderedFilesRoundTripAndPassValidation) {
  const Records cname{"files.lan,nas.lan", "brücke.com,äste.com,2"};
  const std::string file = file_from_records(Item::cname, cname);
  EXPECT_EQ(file, "cname=files.lan,nas.lan\ncname=brücke.com,äste.com,2\n");
  EXPECT_TRUE(validate_text_item(Item::cname, file).ok());
  EXPECT_EQ(records_from_file(Item::cname, file), cname);
  const Records hosts{"1.1.1.1 abc-custom.com def-custom.de", "2.2.2.2 äste.com steä.com"};
  EXPECT_TRUE(validate_text_item(Item::custom_dns, file_from_records(Item::custom_dns, hosts)).ok());
  EXPECT_EQ(file_from_records(Item::static_dhcp, {"aa:bb:cc:dd:ee:ff,192.168.1.50,laptop"}),
            "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\n");
}

TEST(Records, AForeignLineStaysInvalidAfterConversion) {
  // A directive in a v5 file must not become a valid record on the way to v6.
  auto records = records_from_file(Item::cname, "cname=a.lan,b.lan\ndhcp-script=/tmp/evil.sh\n");
  EXPECT_FALSE(validate_text_item(Item::cname, file_from_records(Item::cname, records)).ok());
  records = records_from_file(Item::custom_dns, "address=/x/1.2.3.4\n");
  EXPECT_FALSE(validate_text_item(Item::custom_dns, file_from_records(Item::custom_dns, records)).ok());
}

TEST(Records, CanonicalDigestIgnoresCommentsAndSpacing) {
  const auto a = records_from_file(Item::custom_dns, "# mine\n192.168.1.10 nas.lan\n");
  const auto b = records_from_file(Item::custom_dns, "192.168.1.10\t nas.lan   \n\n");
  EXPECT_EQ(records_digest(a), records_digest(b));
  EXPECT_EQ(canonical_text(a), "192.168.1.10 nas.lan\n");
  EXPECT_EQ(records_digest(a), sha256_hex("192.168.1.10 nas.lan\n"));
  EXPECT_EQ(records_digest({}), sha256_hex(""));
  // Order is part of the value.
  EXPECT_NE(records_digest({"1.1.1.1 a.lan", "2.2.2.2 b.lan"}), records_digest({"2.2.2.2 b.lan", "1.1.1.1 a.lan"}));
}

TEST(Records, ParsesWhatFtlPrints) {
  EXPECT_EQ(*parse_ftl_array("[ \"1.1.1.1 abc-custom.com def-custom.de\", \"2.2.2.2 äste.com steä.com\" ]\n"),
            (Records{"1.1.1.1 abc-custom.com def-custom.de", "2.2.2.2 äste.com steä.com"}));
  EXPECT_TRUE(parse_ftl_array("[]\n")->empty());
  EXPECT_EQ(*parse_ftl_array("[ \"1.1.1.1   spaced.lan \" ]"), (Records{"1.1.1.1 spaced.lan"}));
}

TEST(Records, RefusesWhatIsNotAStringArray) {
  for (const char* bad : {"", "dns.hosts = []", "[ 1, 2 ]", "{\"a\": 1}", "[ \"a\\nb\" ]", "[ \"a\\u0000b\" ]"}) {
    auto r = parse_ftl_array(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ExitCode::refused) << bad;
  }
}

TEST(Records, FtlJsonAndKeys) {
  EXPECT_EQ(ftl_array_json({"1.1.1.1 a.lan", "q\"uote"}), "[\"1.1.1.1 a.lan\", \"q\\\"uote\"]");
  EXPECT_EQ(ftl_array_json({}), "[]");
  EXPECT_STREQ(ftl_key(Item::custom_dns), "dns.hosts");
  EXPECT_STREQ(ftl_key(Item::cname), "dns.cnameRecords");
  EXPECT_STREQ(ftl_key(Item::static_dhcp), "dhcp.hosts");
  EXPECT_EQ(ftl_env_var(Item::cname), "FTLCONF_dns_cnameRecords");
}

TEST(Records, FtlExitCodesBecomeClearRefusals) {
  auto e = ftl_set_error(Item::custom_dns, 5, "read-only");
  EXPECT_EQ(e.code, ExitCode::refused);
  EXPECT_NE(e.message.find("FTLCONF_dns_hosts"), std::string::npos);
  EXPECT_EQ(ftl_set_error(Item::cname, 2, "x").code, ExitCode::refused);
  EXPECT_EQ(ftl_set_error(Item::cname, 3, "x").code, ExitCode::refused);
  EXPECT_EQ(ftl_set_error(Item::cname, 4, "x").code, ExitCode::refused);
  EXPECT_EQ(ftl_set_error(Item::cname, 1, "x").code, ExitCode::failure);
}

}  // namespace
}  // namespace gs
