#include <gtest/gtest.h>

#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/sha256.hpp"

namespace gs {
namespace {

TEST(Records, V5FilesBecomeNormalizedRecords) {
  EXPECT_EQ(
      records_from_file(Item::custom_dns, "# local hosts\n192.168.1.10   nas.lan\n\n10.0.0.1\tpc.lan  pc # office\r\n"),
      (Records{"192.168.1.10 nas.lan", "10.0.0.1 pc.lan pc # office"}));
  EXPECT_EQ(records_from_file(Item::cname, "cname=files.lan,nas.lan\n  # x\ncname=a.lan,b.lan,300\n"),
            (Records{"files.lan,nas.lan", "a.lan,b.lan,300"}));
  EXPECT_EQ(records_from_file(Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\n"),
            (Records{"aa:bb:cc:dd:ee:ff,192.168.1.50,laptop"}));
  EXPECT_TRUE(records_from_file(Item::cname, "").empty());
}

// Each line as dnsmasq reads it (option.c read_file + split_chr, cache.c read_hostsfile):
// the record it holds, normalized.
struct LineCase {
  Item item;
  const char* line;
  const char* record;
};

TEST(Records, LinesAreReadAsDnsmasqReadsThem) {
  const LineCase cases[] = {
      {Item::cname, "cname=tv.lan,nas.lan # the NAS", "tv.lan,nas.lan # the NAS"},
      {Item::cname, "   cname=tv.lan,nas.lan", "tv.lan,nas.lan"},
      {Item::cname, "cname = tv.lan,nas.lan", "tv.lan,nas.lan"},
      {Item::cname, "cname=tv.lan, nas.lan ,300", "tv.lan,nas.lan,300"},
      {Item::cname, "cname=a.lan,b.lan#not-a-comment", "a.lan,b.lan#not-a-comment"},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff, 192.168.1.50,laptop  # desk",
       "aa:bb:cc:dd:ee:ff,192.168.1.50,laptop # desk"},
      {Item::custom_dns, "  192.168.1.2\tnas.lan   # the NAS  ", "192.168.1.2 nas.lan # the NAS"},
      {Item::custom_dns, "192.168.1.2 nas.lan #  two  spaces kept", "192.168.1.2 nas.lan #  two  spaces kept"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(records_from_file(c.item, std::string(c.line) + "\n"), Records{c.record}) << c.line;
  }
}

TEST(Records, RenderedFilesRoundTripAndPassValidation) {
  const Records cname{"files.lan,nas.lan", "brücke.com,äste.com,2", "tv.lan,nas.lan # c, d"};
  const std::string file = file_from_records(Item::cname, cname);
  EXPECT_EQ(file, "cname=files.lan,nas.lan\ncname=brücke.com,äste.com,2\ncname=tv.lan,nas.lan # c, d\n");
  // dnsmasq reads international names only through IDN in a UTF-8 locale.
  auto refused = validate_text_item(Item::cname, file);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("cname line 2 holds a name outside ASCII"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(validate_text_item(Item::cname, "cname=xn--brcke-lva.com,xn--ste-qla.com,2\n").ok());
  EXPECT_EQ(records_from_file(Item::cname, file), cname);
  const Records hosts{"1.1.1.1 abc-custom.com def-custom.de", "2.2.2.2 äste.com steä.com",
                      "10.0.0.8 odd.lan #  Zürich ✓ 😀 \"q\" \\\\ , x"};
  // A name outside ASCII is refused in custom.list too (FTL v6 refuses it in dns.hosts).
  auto utf8_hosts = validate_text_item(Item::custom_dns, file_from_records(Item::custom_dns, hosts));
  ASSERT_FALSE(utf8_hosts.ok());
  EXPECT_NE(utf8_hosts.error().message.find("custom-dns line 2 holds a name outside ASCII"), std::string::npos)
      << utf8_hosts.error().message;
  EXPECT_EQ(records_from_file(Item::custom_dns, file_from_records(Item::custom_dns, hosts)), hosts);
  EXPECT_EQ(file_from_records(Item::static_dhcp, {"aa:bb:cc:dd:ee:ff,192.168.1.50,laptop"}),
            "dhcp-host=aa:bb:cc:dd:ee:ff,192.168.1.50,laptop\n");
}

TEST(Records, AForeignLineStaysInvalidAfterConversion) {
  // A directive in a v5 file must not become a valid record on the way to v6.
  auto records = records_from_file(Item::cname, "cname=a.lan,b.lan\ndhcp-script=/tmp/evil.sh\n");
  EXPECT_FALSE(validate_text_item(Item::cname, file_from_records(Item::cname, records)).ok());
  records = records_from_file(Item::custom_dns, "address=/x/1.2.3.4\n");
  EXPECT_FALSE(
      validate_text_item(Item::custom_dns, file_from_records(Item::custom_dns, records)).ok());
}

// Records that read the same to DNS compare equal, on v5 and v6 alike.
struct SameCase {
  Item item;
  const char* a;
  const char* b;
};

TEST(Records, TheCanonicalFormIgnoresCommentsSpacingAndCase) {
  const SameCase same[] = {
      {Item::custom_dns, "192.168.1.2 nas.lan # the NAS", "192.168.1.2 nas.lan"},
      {Item::custom_dns, "192.168.1.2\t NAS.Lan", "192.168.1.2 nas.lan"},
      {Item::custom_dns, "FD00::1 v6.lan", "fd00::1 v6.lan"},
      {Item::cname, "TV.lan, nas.lan # x", "tv.lan,nas.lan"},
      {Item::static_dhcp, "AA:BB:CC:DD:EE:FF,192.168.1.50,laptop", "aa:bb:cc:dd:ee:ff,192.168.1.50,laptop # y"},
  };
  for (const auto& c : same) {
    EXPECT_EQ(canonical_record(c.item, normalize_record(c.item, c.a)),
              canonical_record(c.item, normalize_record(c.item, c.b)))
        << c.a << " vs " << c.b;
  }
  // Tags, keywords and names stay as they are in a dhcp-host: dnsmasq reads them with case.
  EXPECT_NE(canonical_record(Item::static_dhcp, "aa:bb:cc:dd:ee:ff,set:Kids,Laptop"),
            canonical_record(Item::static_dhcp, "aa:bb:cc:dd:ee:ff,set:kids,laptop"));
  const auto a = records_from_file(Item::custom_dns, "# mine\n192.168.1.10 nas.lan # the NAS\n");
  EXPECT_EQ(canonical_text(Item::custom_dns, a), "192.168.1.10 nas.lan\n");
  EXPECT_EQ(records_digest(Item::custom_dns, a), sha256_hex("192.168.1.10 nas.lan\n"));
  EXPECT_EQ(records_digest(Item::cname, {}), sha256_hex(""));
  // Order is part of the value.
  EXPECT_NE(records_digest(Item::custom_dns, {"1.1.1.1 a.lan", "2.2.2.2 b.lan"}),
            records_digest(Item::custom_dns, {"2.2.2.2 b.lan", "1.1.1.1 a.lan"}));
}

TEST(Records, ValuesAreRecordsExceptForControlCharacters) {
  EXPECT_EQ(*records_from_values(Item::custom_dns, {"10.0.0.1 a.lan\tb.lan", "", "   "}),
            (Records{"10.0.0.1 a.lan b.lan"}));
  for (const std::string& bad : {std::string("10.0.0.1 a.lan\nb"), std::string("a.lan,b.lan\rx"),
                                 std::string("a.lan,b\0.lan", 12), std::string("x\x1b[31m")}) {
    auto r = records_from_values(Item::cname, {bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ExitCode::refused);
    EXPECT_NE(r.error().message.find("dns.cnameRecords"), std::string::npos);
  }
}

// Found by tests/fuzz/text_items_fuzz: normalizing dropped the comma after a leading empty
// field, so the v6 entry ",a.lan,b.lan" (which dnsmasq refuses) became the valid
// "a.lan,b.lan" on its way to the peer, both compared equal, and the canonical form of a
// record was not its own canonical form.
TEST(Records, LeadingEmptyFieldsKeepTheirCommas) {
  EXPECT_EQ(normalize_record(Item::cname, " , a.lan , b.lan"), ",a.lan,b.lan");
  EXPECT_EQ(normalize_record(Item::static_dhcp, ",,aa:bb:cc:dd:ee:ff"), ",,aa:bb:cc:dd:ee:ff");
  EXPECT_NE(canonical_record(Item::cname, ",a.lan,b.lan"), canonical_record(Item::cname, "a.lan,b.lan"));
  const std::string odd = ",# reserved bb:cc:dd:ee:02";  // '#' after a comma starts no comment
  const std::string canonical = canonical_record(Item::static_dhcp, odd);
  EXPECT_EQ(canonical_record(Item::static_dhcp, canonical), canonical);
  auto records = records_from_values(Item::cname, {",a.lan,b.lan"});
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(*records, Records{",a.lan,b.lan"});
  EXPECT_FALSE(validate_text_item(Item::cname, file_from_records(Item::cname, *records)).ok());
}

// Found by tests/fuzz/pihole_toml_fuzz: a dns.hosts entry that is only a comment was a
// record on the v6 node but a comment line in the v5 file made from it, so the two nodes
// never agreed on the digest of custom-dns.
TEST(Records, AV6EntryThatIsOnlyACommentIsNoRecord) {
  auto records = records_from_values(Item::custom_dns, {"# the NAS", "192.168.1.2 nas.lan", "  #x  "});
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(*records, Records{"192.168.1.2 nas.lan"});
  EXPECT_EQ(records_from_file(Item::custom_dns, file_from_records(Item::custom_dns, *records)), *records);
  // In a cname or dhcp-host file it is no comment ("cname=#x"): kept, for validation to refuse.
  auto cname = records_from_values(Item::cname, {"#x"});
  ASSERT_TRUE(cname.ok());
  EXPECT_EQ(*cname, Records{"#x"});
  EXPECT_FALSE(validate_text_item(Item::cname, file_from_records(Item::cname, *cname)).ok());
}

// pihole.toml as FTL v6.4.1 writes it (toml_helper.c: each entry JSON-escaped).
constexpr const char* kToml = R"TOML(# Pi-hole configuration file (v6.4.1)
[dns]
  upstreams = [
    "127.0.0.1#5399"
  ] ### CHANGED, default = []
  hosts = [
    "10.0.0.1 a.lan #  Zürich ✓ 😀  \"q\" \\ , x",
    "10.0.0.2 b.lan, c.lan"
  ] ### CHANGED, default = []
  cnameRecords = [] # none
  [dns.rateLimit]
    count = 0
[dhcp]
  hosts = [
    "aa:bb:cc:dd:ee:ff,192.168.1.50,laptop # x"
  ]
[files]
  pid = "/run/pihole/pihole-FTL.pid"
)TOML";

TEST(PiholeToml, ReadsEachEntryExactlyAsFtlHoldsIt) {
  auto toml = PiholeToml::parse(kToml);
  ASSERT_TRUE(toml.ok()) << toml.error().message;
  EXPECT_EQ(*toml->string_array("dns.hosts"),
            (std::vector<std::string>{"10.0.0.1 a.lan #  Zürich ✓ 😀  \"q\" \\ , x", "10.0.0.2 b.lan, c.lan"}));
  EXPECT_TRUE(toml->string_array("dns.cnameRecords")->empty());
  EXPECT_EQ(*toml->string_array("dhcp.hosts"), (std::vector<std::string>{"aa:bb:cc:dd:ee:ff,192.168.1.50,laptop # x"}));
  // Absent: FTL's default, the empty array.
  EXPECT_TRUE(toml->string_array("misc.dnsmasq_lines")->empty());
  EXPECT_EQ(toml->string_or("files.pid", "/run/pihole-FTL.pid"), "/run/pihole/pihole-FTL.pid");
  EXPECT_EQ(toml->string_or("files.nothing", "fallback"), "fallback");
  EXPECT_EQ(*records_from_toml(*toml, Item::static_dhcp), (Records{"aa:bb:cc:dd:ee:ff,192.168.1.50,laptop # x"}));
}

TEST(PiholeToml, RefusesWhatFtlCouldNotHold) {
  struct Bad {
    const char* text;
    const char* message;
  };
  const Bad cases[] = {
      {"[dns\nhosts = []", "not valid TOML (line 1)"},
      {"[dns]\nhosts = \"10.0.0.1 a.lan\"\n", "dns.hosts is not an array"},
      {"[dns]\nhosts = [ 1, 2 ]\n", "dns.hosts[0] is not a string"},
      {"[dns]\nhosts = []\nhosts = []\n", "not valid TOML"},
      {"[dns]\nhosts = [\"a\\u0000b\"]\n", ""},
  };
  for (const auto& c : cases) {
    auto toml = PiholeToml::parse(c.text);
    Result<std::vector<std::string>> entries =
        toml ? toml->string_array("dns.hosts") : Result<std::vector<std::string>>(toml.error());
    Result<Records> records =
        entries ? records_from_values(Item::custom_dns, *entries) : Result<Records>(entries.error());
    ASSERT_FALSE(records.ok()) << c.text;
    EXPECT_EQ(records.error().code, ExitCode::refused) << c.text;
    EXPECT_NE(records.error().message.find(c.message), std::string::npos) << records.error().message;
  }
  // Deep nesting is a parse error, not a crash: arrays (toml++'s own limit), and dotted
  // keys and table headers, which toml++ parses recursively (found attacking issue 12:
  // 100,000 components overflowed the stack).
  std::string deep = "a = " + std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(PiholeToml::parse(deep).ok());
  std::string components;
  for (int i = 0; i < 100000; ++i) components += "x.";
  const std::pair<std::string, int> too_deep[] = {{"[dns]\nhosts = []\n[zz]\n" + components + "y = 1\n", 4},
                                                   {"[dns]\nhosts = []\n[" + components + "y]\n", 3},
                                                   {"[dns]\nhosts = []\nz = { " + components + "y = 1 }\n", 3}};
  for (const auto& [text, line] : too_deep) {
    auto toml = PiholeToml::parse(text);
    ASSERT_FALSE(toml.ok());
    EXPECT_NE(toml.error().message.find("nests a key deeper than 64 levels (line " + std::to_string(line) + ")"),
              std::string::npos)
        << toml.error().message;
  }
  // Dots in strings, comments and numbers are not keys.
  const std::string dots(200, '.');
  EXPECT_TRUE(PiholeToml::parse("# " + dots + "\n[dns]\nhosts = [\"" + dots + "\", '" + dots + "']\n"
                                "x = \"\"\"\n" + dots + "\n\"\"\"\ny = 1.5\n")
                  .ok());
  EXPECT_FALSE(PiholeToml::parse(std::string(kMaxPiholeToml + 1, '#')).ok());
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
  // Exit 3 without FTL's verdict on the value (its own test ran into a temporary file while
  // it restarted: "Cannot remove temporary dnsmasq config file") is a failure to retry.
  EXPECT_EQ(ftl_set_error(Item::cname, 3, "x").code, ExitCode::failure);
  EXPECT_EQ(ftl_set_error(Item::cname, 3, "Invalid value: dns.cnameRecords[0]: x").code, ExitCode::refused);
  EXPECT_EQ(ftl_set_error(Item::cname, 3, "New dnsmasq configuration is not valid (x)").code, ExitCode::refused);
  const Item domain = Item::setting(*find_ftl_key("dns.domain.name"));
  EXPECT_NE(ftl_set_error(domain, 3, "Invalid value: dns.domain.name: not a valid domain").message.find(
                "refused the new value of dns.domain.name as invalid"),
            std::string::npos);
  // Exit 3 says which check refused it, from FTL's own words (as real FTL v6.4.1 prints them).
  EXPECT_NE(ftl_set_error(Item::cname, 3,
                          "Invalid value: dns.cnameRecords[0]: not a valid CNAME definition (too few elements)")
                .message.find("refused an entry of the new dns.cnameRecords as invalid"),
            std::string::npos);
  EXPECT_NE(ftl_set_error(Item::cname, 3,
                          "New dnsmasq configuration is not valid (dnsmasq: CNAME loop involving a.lan), config "
                          "remains unchanged")
                .message.find("dnsmasq's test of the whole configuration FTL would write with it failed"),
            std::string::npos);
  EXPECT_NE(ftl_set_error(Item::cname, 3, "x").message.find("(exit 3)"), std::string::npos);
  EXPECT_EQ(ftl_set_error(Item::cname, 4, "x").code, ExitCode::refused);
  EXPECT_EQ(ftl_set_error(Item::cname, 1, "x").code, ExitCode::failure);
}

}  // namespace
}  // namespace gs
