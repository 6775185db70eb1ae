// The validators of text items (pihole/text_items: validate_text_item) checked against the
// programs that read those lines, on a table of accepted and refused lines:
// - dnsmasq as Pi-hole builds it into pihole-FTL v6.4.1: `pihole-FTL dnsmasq-test-file
//   FILE` parses FILE as dnsmasq configuration (FTL's src/args.c) and prints "dnsmasq:
//   syntax check OK." or dnsmasq's own complaint (it may crash after printing it: only the
//   words count). The oracle for cname= and dhcp-host= lines.
// - FTL's validator of its values: `pihole-FTL --config KEY VALUE` on a node whose FTL is
//   not running checks the value and writes pihole.toml, nothing else; exit 0 accepted, 3
//   refused. The oracle for dns.hosts entries and dns.cnameRecords entries (it also runs
//   dnsmasq's test on the CNAMEs). It does not test dhcp.hosts through dnsmasq unless the
//   DHCP server is on, so dhcp-host lines are left to the first oracle.
// (v5's `pihole-FTL dnsmasq-test` tests /etc/dnsmasq.conf only, which a kit node has not:
// it passes everything, so it is no oracle.)
#include <gtest/gtest.h>

#include <random>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/process.hpp"
#include "test_support.hpp"

namespace gs {
namespace {

using test::pihole_kit;
using test::TempDir;
using test::write_text;

// What gravity-sync's validator and the real programs say of a line.
enum class Verdict {
  accepted,  // by gravity-sync and by every oracle
  refused,   // by gravity-sync and by every oracle
  stricter,  // refused by gravity-sync though an oracle accepts it: the reason is given
};

struct Case {
  Item item;
  std::string line;  // as in the v5 file
  Verdict verdict;
  const char* why = "";  // for `stricter`
};

class Validators : public ::testing::Test {
 protected:
  void SetUp() override {
    // A v6 node laid out but never started: its pihole-FTL runs only as a checker here.
    std::mt19937 random(std::random_device{}());
    const int port = 33000 + static_cast<int>(random() % 1000);
    auto made = run_process({pihole_kit() + "/node", "create", node_, "--version", "6", "--dns-port",
                             std::to_string(port)});
    ASSERT_TRUE(made.ok() && made->exit_code == 0) << (made.ok() ? made->err : made.error().message);
  }

  // dnsmasq's verdict on a file holding `line`; its words in `said`.
  bool dnsmasq_accepts(const std::string& line, std::string& said) {
    write_text(dir_.path() + "/test.conf", line + "\n");
    auto r = run_process({node_ + "/bin/pihole-FTL", "dnsmasq-test-file", dir_.path() + "/test.conf"});
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return false;
    said = r->out + r->err;
    return said.find("dnsmasq: syntax check OK.") != std::string::npos;
  }

  // FTL's verdict on `key` set to the one entry `entry`; its words in `said`.
  bool ftl_accepts(const std::string& key, const std::string& entry, std::string& said) {
    Json value = Json::array();
    value.push(entry);
    auto r = run_process({node_ + "/bin/pihole-FTL", "--config", key, value.dump()});
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return false;
    said = r->out + r->err;
    EXPECT_TRUE(r->exit_code == 0 || r->exit_code == 3) << key << " " << entry << ": " << said;
    return r->exit_code == 0;
  }

  TempDir dir_;
  std::string node_ = dir_.path() + "/node";
};

TEST_F(Validators, AcceptWhatDnsmasqAndFtlAcceptAndRefuseTheRest) {
  const char* kOtherDirective = "another dnsmasq directive in a Pi-hole item's file is refused: it is no record";
  const char* kBadName = "not a DNS name (dnsmasq reads it, but no client can ask for it)";
  const Case cases[] = {
      // --- CNAMEs: whitespace, comments, TTLs, several aliases
      {Item::cname, "cname=tv.lan,nas.lan", Verdict::accepted},
      {Item::cname, "cname=tv.lan,nas.lan # the NAS", Verdict::accepted},
      {Item::cname, "cname=tv.lan,nas.lan\t# a tab, then a comment", Verdict::accepted},
      {Item::cname, "   cname=tv.lan,nas.lan", Verdict::accepted},
      {Item::cname, "cname = tv.lan,nas.lan", Verdict::accepted},
      {Item::cname, "cname=tv.lan, nas.lan", Verdict::accepted},
      {Item::cname, "cname=tv.lan,nas.lan,300", Verdict::accepted},
      {Item::cname, "cname=tv.lan,nas.lan,300 # with a TTL", Verdict::accepted},
      {Item::cname, "cname=a.lan,b.lan,nas.lan", Verdict::accepted},
      {Item::cname, "cname=TV.lan,NAS.lan", Verdict::accepted},
      {Item::cname, "cname=xn--brcke-lva.lan,nas.lan", Verdict::accepted},
      {Item::cname, "cname=tv.lan,nas.lan,abc", Verdict::accepted},  // abc is the target
      {Item::cname, "# only a comment", Verdict::accepted},
      {Item::cname, "cname=tv.lan", Verdict::refused},
      {Item::cname, "cname=a.lan,a.lan", Verdict::refused},  // a CNAME loop
      {Item::cname, "cnamex=tv.lan,nas.lan", Verdict::refused},
      {Item::cname, "server=1.1.1.1", Verdict::stricter, kOtherDirective},
      {Item::cname, "address=/ads.lan/0.0.0.0", Verdict::stricter, kOtherDirective},
      {Item::cname, "cname=a..lan,nas.lan", Verdict::stricter, kBadName},
      {Item::cname, "cname=a lan,nas.lan", Verdict::stricter, kBadName},
      {Item::cname, "cname=tv.lan,nas.lan# no space before the hash", Verdict::stricter,
       "dnsmasq reads the '#' and the words after it as part of the name"},
      {Item::cname, "cname=,tv.lan,nas.lan", Verdict::stricter,
       "an empty alias (dnsmasq reads it; FTL's check of dns.cnameRecords refuses it too)"},
      {Item::cname, "cname=\xc3\xa4ste.lan,nas.lan", Verdict::stricter,
       "a name outside ASCII works only through IDN in a UTF-8 locale; the punycode form always does"},
      // --- static DHCP leases: tags, IPv6, lease times, comments, client ids
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5,nas # the NAS", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5,nas\t# a tab", Verdict::accepted},
      {Item::static_dhcp, "  dhcp-host = 00:11:22:33:44:55,192.168.1.8", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55, 192.168.1.9, nas", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,set:kids,192.168.1.6,nas,infinite", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,tag:!known,192.168.1.5", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::5],nas6", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::]/64", Verdict::refused},  // the prefix outside
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::/64],nas6", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::1:0/112]", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::1/96],nas6", Verdict::refused},  // "bad IPv6 prefix"
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::1/63]", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[::ffff:1.2.3.4/96]", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::1/64]", Verdict::stricter,
       "an address bit set beyond its prefix (dnsmasq tests only part of those bits)"},
      {Item::static_dhcp, "dhcp-host=aa:bb:cc:dd:ee:ff,[fd00::1/129]", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.7,nas,12h", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.7,5m", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00-11-22-33-44-55,192.168.1.5", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,00:11:22:33:44:66,192.168.1.10", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=*:*:*:*:*:*,192.168.1.11", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=id:*,192.168.1.12", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=id:01:02:03,192.168.1.13", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,ignore", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=laptop,192.168.1.14", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.15,nas_x.lan", Verdict::accepted},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5,nas,12x", Verdict::refused},  // two names
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,nas,other", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5,na$s", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5,-nas", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:zz,192.168.1.5", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,[fd00::zz]", Verdict::refused},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5\ndhcp-host=00:11:22:33:44:66,192.168.1.5",
       Verdict::refused},  // one address reserved twice
      {Item::static_dhcp, "dhcp-hostx=00:11:22:33:44:55", Verdict::refused},
      {Item::static_dhcp, "dhcp-range=192.168.1.100,192.168.1.200", Verdict::stricter, kOtherDirective},
      {Item::static_dhcp, "dhcp-script=/tmp/run-me", Verdict::stricter, kOtherDirective},
      {Item::static_dhcp, "dhcp-host=", Verdict::stricter, "an empty lease reserves nothing"},
      {Item::static_dhcp, "dhcp-host=00:11:22:33:44:55,192.168.1.5,nas,,", Verdict::stricter, "an empty field"},
      // --- local DNS records (custom.list lines, dns.hosts entries)
      {Item::custom_dns, "10.0.0.1 nas.lan", Verdict::accepted},
      {Item::custom_dns, "10.0.0.1 nas.lan # the NAS", Verdict::accepted},
      {Item::custom_dns, "  10.0.0.1   nas.lan  ", Verdict::accepted},
      {Item::custom_dns, "10.0.0.1\tnas.lan", Verdict::accepted},
      {Item::custom_dns, "10.0.0.1 nas.lan alias.lan", Verdict::accepted},
      {Item::custom_dns, "fd00::1 nas6.lan", Verdict::accepted},
      {Item::custom_dns, "10.0.0.1 nas_x.lan", Verdict::accepted},
      {Item::custom_dns, "10.0.0.1", Verdict::refused},
      {Item::custom_dns, "999.1.1.1 a.lan", Verdict::refused},
      {Item::custom_dns, "10.0.0.1 na$me.lan", Verdict::refused},
      {Item::custom_dns, "10.0.0.1 nas..lan", Verdict::refused},
      {Item::custom_dns, "10.0.0.1 -bad.lan", Verdict::stricter, "a name that starts with '-' is no host name"},
      {Item::custom_dns, "10.0.0.1 \xc3\xa4ste.lan", Verdict::refused},  // FTL: invalid hostname; punycode works
      {Item::custom_dns, "10.0.0.1 xn--ste-pla.lan", Verdict::accepted},
  };
  int checked = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(item_name(c.item)) + ": " + c.line);
    const Status ours = validate_text_item(c.item, c.line + "\n");
    const bool we_accept = ours.ok();
    std::vector<std::pair<std::string, bool>> oracles;  // who, accepts
    std::string said;
    if (c.item == Item::custom_dns) {
      oracles.emplace_back("FTL's dns.hosts", ftl_accepts("dns.hosts", c.line, said));
    } else {
      oracles.emplace_back("dnsmasq", dnsmasq_accepts(c.line, said));
      const auto value = line_value(c.item, c.line);
      if (c.item == Item::cname && value && c.line.find('\n') == std::string::npos) {
        std::string ftl_said;
        const bool accepts = ftl_accepts("dns.cnameRecords", std::string(*value), ftl_said);
        oracles.emplace_back("FTL's dns.cnameRecords", accepts);
        said += " | " + ftl_said;
        // FTL's refusal, as a sync would report it, says which of FTL's checks refused it.
        if (!accepts) {
          EXPECT_EQ(ftl_set_error(c.item, 3, ftl_said).message.find("(exit 3)"), std::string::npos) << ftl_said;
        }
      }
    }
    bool any_accepts = false;
    for (const auto& [who, accepts] : oracles) {
      any_accepts = any_accepts || accepts;
      // What gravity-sync accepts, every oracle accepts; what it refuses as they do, all refuse.
      if (c.verdict != Verdict::stricter) {
        EXPECT_EQ(accepts, c.verdict == Verdict::accepted) << who << " said: " << said;
      }
    }
    // Stricter than the programs: at least one of them reads the line.
    if (c.verdict == Verdict::stricter) {
      EXPECT_TRUE(any_accepts) << said;
    }
    EXPECT_EQ(we_accept, c.verdict == Verdict::accepted)
        << (ours.ok() ? std::string("accepted") : ours.error().message) << "; " << c.why;
    // Never the other way round: a line an oracle refuses never passes here.
    for (const auto& [who, accepts] : oracles) {
      if (!accepts) {
        EXPECT_FALSE(we_accept) << who << " refuses it: " << said;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(std::size(cases)));
}

}  // namespace
}  // namespace gs
