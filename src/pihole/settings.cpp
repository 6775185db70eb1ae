#include "gravity_sync/pihole/settings.hpp"

#include <array>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// What DNS behaviour admins keep alike across their Pi-holes, and what the API-based
// tools' users asked to keep alike: offered when `sync.settings` names no key.
constexpr std::array kOffered = {
    "dns.upstreams",
    "dns.revServers",
    "dns.domain.name",
    "dns.domain.local",
    "dns.blocking.mode",
    "dns.blocking.edns",
    "dns.dnssec",
    "dns.blockTTL",
    "dns.rateLimit.count",
    "dns.rateLimit.interval",
    "dns.queryLogging",
    "dns.domainNeeded",
    "dns.bogusPriv",
    "dns.blockESNI",
    "dns.specialDomains.mozillaCanary",
    "dns.specialDomains.iCloudPrivateRelay",
    "dns.specialDomains.designatedResolver",
};

// Web interface and API preferences that are not the server itself.
constexpr std::array kWebPreferences = {
    "webserver.api.excludeClients",
    "webserver.api.excludeDomains",
    "webserver.api.maxHistory",
    "webserver.api.maxClients",
    "webserver.api.client_history_global_max",
    "webserver.api.prettyJSON",
    "webserver.interface.theme",
    "webserver.interface.boxed",
};

// A key of this node: prefix (or the key) and why.
struct NodeRule {
  std::string_view prefix;
  const char* why;
};
constexpr std::array kNodeRules = {
    NodeRule{"dns.interface", "the interface this node's DNS listens on"},
    NodeRule{"dns.listeningMode", "how this node's DNS listens"},
    NodeRule{"dns.port", "the port this node's DNS listens on"},
    NodeRule{"dns.reply.host.", "this node's own addresses in its replies"},
    NodeRule{"dhcp.active", "whether this node runs the DHCP server (two would hand out the same addresses)"},
    NodeRule{"dhcp.start", "the DHCP range of this node"},
    NodeRule{"dhcp.end", "the DHCP range of this node"},
    NodeRule{"dhcp.router", "the DHCP gateway this node hands out"},
    NodeRule{"dhcp.netmask", "the DHCP netmask of this node's network"},
    NodeRule{"dhcp.ipv6", "DHCPv6 and router advertisements on this node's interface"},
    NodeRule{"ntp.", "this machine's NTP server and clock"},
    NodeRule{"webserver.", "this node's web server, its ports, certificate, sessions or passwords"},
    NodeRule{"files.", "a path on this node"},
    NodeRule{"misc.dnsmasq_lines", "this node's own dnsmasq lines (often its interfaces and addresses)"},
    NodeRule{"misc.etc_dnsmasq_d", "whether this node reads its own /etc/dnsmasq.d"},
    NodeRule{"misc.readOnly", "whether this node's configuration may be changed at all"},
    NodeRule{"misc.nice", "this machine's process priority for FTL"},
    NodeRule{"misc.delay_startup", "this machine's start-up delay"},
    NodeRule{"misc.addr2line", "this machine's debugging aid"},
    NodeRule{"misc.normalizeCPU", "this machine's CPU reporting"},
    NodeRule{"debug.", "debug logging of one node"},
};

// Keys another item syncs.
struct OtherItem {
  std::string_view key;
  const char* item;
};
constexpr std::array kOtherItems = {
    OtherItem{"dns.hosts", "custom-dns"},
    OtherItem{"dns.cnameRecords", "cname"},
    OtherItem{"dhcp.hosts", "static-dhcp"},
};

template <size_t N>
bool listed(const std::array<const char*, N>& list, std::string_view key) {
  for (const char* k : list) {
    if (key == k) return true;
  }
  return false;
}

Error bad(const FtlKey& key, const std::string& what) {
  return Error{ExitCode::refused, "the value of " + std::string(key.key) + " " + what};
}

Status check_text(const FtlKey& key, const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return bad(key, "holds a control character");
  }
  return {};
}

}  // namespace

SettingVerdict setting_class(const FtlKey& key) {
  for (const auto& o : kOtherItems) {
    if (key.key == o.key) {
      return {SettingClass::never, "the item " + std::string(o.item) + " syncs it (add " + o.item + " to sync.items)"};
    }
  }
  if (key.flags & kFtlReadOnly)
    return {SettingClass::never, "FTL lets it be set only in pihole.toml, never through pihole-FTL --config"};
  if ((key.flags & (kFtlWriteOnly | kFtlPseudo)) || key.type == FtlType::password) {
    return {SettingClass::never, "FTL never prints its value, so it cannot be compared"};
  }
  // FTL v6.4.1 has one decimal key (webserver.api.temp.limit, a threshold of one machine);
  // gravity-sync carries no decimals, so no rounding can make two nodes disagree.
  if (key.type == FtlType::real)
    return {SettingClass::never, "it is a decimal value, which gravity-sync does not carry"};
  if (listed(kOffered, key.key)) return {SettingClass::offered, ""};
  if (listed(kWebPreferences, key.key)) return {SettingClass::allowed, ""};
  for (const auto& rule : kNodeRules) {
    if (key.key == rule.prefix || (rule.prefix.back() == '.' && starts_with(key.key, rule.prefix))) {
      return {SettingClass::node, std::string("it belongs to one node: ") + rule.why};
    }
  }
  return {SettingClass::allowed, ""};
}

std::vector<const FtlKey*> offered_settings() {
  std::vector<const FtlKey*> out;
  for (const FtlKey& k : ftl_keys()) {
    if (setting_class(k).cls == SettingClass::offered) out.push_back(&k);
  }
  return out;
}

Result<std::string> canonical_setting(const FtlKey& key, std::string_view json) {
  // (What --config is given, measured by the caller: setting_cli_value, check_ftl_value_size.)
  if (json.size() > 2 * kMaxFtlValue) return bad(key, "is longer than pihole-FTL --config takes");
  if (json.find('\n') != std::string_view::npos) return bad(key, "is more than one line");
  auto doc = Json::parse(std::string(json));
  if (!doc) return bad(key, "is not JSON: " + printable(json, 80));
  switch (key.type) {
    case FtlType::boolean:
      if (!doc->is_bool()) return bad(key, "is not true or false");
      break;
    case FtlType::int32:
    case FtlType::uint32:
    case FtlType::uint16:
    case FtlType::int64: {
      // Json reads 7.5 as 7: only digits are a whole number here.
      std::string_view digits = json;
      while (!digits.empty() && (digits.front() == ' ' || digits.front() == '\t')) digits.remove_prefix(1);
      while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t')) digits.remove_suffix(1);
      if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
      const bool whole = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
      if (!doc->is_int() || !whole) return bad(key, "is not a whole number");
      // FTL's `--config` stores a number out of its type's range wrapped around (-1 as
      // 4294967295; measured on FTL v6.4.1), which can stop the receiver's DNS.
      const auto [lo, hi] = whole_number_range(key.type);
      if (doc->as_int() < lo || doc->as_int() > hi) {
        return bad(key, "is " + std::to_string(doc->as_int()) + ", outside what FTL holds there (" + std::to_string(lo) +
                            " to " + std::to_string(hi) + ")");
      }
      break;
    }
    case FtlType::real:
    case FtlType::password:
      return bad(key, "is of a kind gravity-sync never carries (setting_class: never)");
    case FtlType::enumeration:
      if (doc->is_int()) break;  // misc.privacylevel: FTL writes its number
      [[fallthrough]];
    case FtlType::string:
      if (!doc->is_string()) return bad(key, "is not a string");
      if (auto st = check_text(key, doc->as_string()); !st) return st.error();
      break;
    case FtlType::string_array:
      if (!doc->is_array()) return bad(key, "is not an array");
      for (const Json& e : doc->items()) {
        if (!e.is_string()) return bad(key, "holds an entry that is not a string");
        if (auto st = check_text(key, e.as_string()); !st) return st.error();
      }
      break;
  }
  return doc->dump();
}

std::string setting_cli_value(const FtlKey& key, std::string_view canonical) {
  auto doc = Json::parse(std::string(canonical));
  if (!doc) return std::string(canonical);
  if (doc->is_string() && (key.type == FtlType::string || key.type == FtlType::enumeration)) return doc->as_string();
  if (doc->is_array()) {
    // Without the blanks of the canonical form: FTL takes up to 128 KiB in one value.
    std::string out = "[";
    for (const Json& e : doc->items()) out += (out.size() > 1 ? "," : "") + e.dump();
    return out + "]";
  }
  return std::string(canonical);
}

}  // namespace gs
