#include "gravity_sync/pihole/text_items.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstdint>
#include <map>
#include <vector>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/settings.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

bool is_ip(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The names of cname=<alias>[,<alias>...],<target>[,<ttl>] (the TTL dropped), as dnsmasq's
// LOPT_CNAME reads them; empty when the line is not one.
std::vector<std::string_view> cname_names(const std::vector<std::string_view>& given) {
  std::vector<std::string_view> fields = given;
  if (fields.size() >= 3 && all_digits(fields.back())) fields.pop_back();
  if (fields.size() < 2) return {};
  return fields;
}

bool valid_cname(const std::vector<std::string_view>& given, bool utf8) {
  const auto names = cname_names(given);
  if (names.empty()) return false;
  for (auto f : names) {
    if (!is_dns_name(f, utf8)) return false;
  }
  return true;
}

// A name as dnsmasq compares it: ASCII case folded, and one trailing dot dropped
// (dnsmasq's canonicalise: "a.lan." is "a.lan", so `cname=a.lan,a.lan.` is a loop).
std::string dns_key(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Call `each(number, fields)` for every record line of `content` of `item` (its 1-based
// line number; its fields as record_parts reads them), in order; the first error it returns.
template <typename Each>
Status for_each_record(Item item, std::string_view content, Each each) {
  int number = 0;
  for (std::string_view line : split(content, '\n')) {
    ++number;
    if (is_comment_or_blank(item, line)) continue;
    const auto value = line_value(item, line);
    if (!value) continue;
    if (auto st = each(number, record_parts(item, *value).fields); !st) return st;
  }
  return {};
}

// dnsmasq refuses to start on an alias given twice ("duplicate CNAME") or a chain of
// CNAMEs that comes back to itself ("CNAME loop involving ..."): the file-level rules.
Status check_cname_graph(std::string_view content) {
  std::map<std::string, std::string> target_of;
  std::map<std::string, int> line_of;  // where each alias was given first
  auto given = for_each_record(Item::cname, content, [&](int number, const std::vector<std::string_view>& fields) {
    const auto names = cname_names(fields);
    if (names.empty()) return Status{};
    const std::string target = dns_key(names.back());
    for (size_t i = 0; i + 1 < names.size(); ++i) {
      const std::string alias = dns_key(names[i]);
      if (!target_of.emplace(alias, target).second) {
        return Status(make_error(ExitCode::refused, "cname line " + std::to_string(number) +
                                                        " gives the alias of line " + std::to_string(line_of[alias]) +
                                                        " a second time (dnsmasq would not start)"));
      }
      line_of.emplace(alias, number);
    }
    return Status{};
  });
  if (!given) return given;
  for (const auto& [alias, first] : target_of) {
    std::string at = first;
    for (size_t hops = 0; hops <= target_of.size(); ++hops) {
      if (at == alias) {
        return make_error(ExitCode::refused, "cname line " + std::to_string(line_of[alias]) +
                                                 " starts a chain of CNAMEs that comes back to its alias (dnsmasq "
                                                 "would not start)");
      }
      auto next = target_of.find(at);
      if (next == target_of.end()) break;
      at = next->second;
    }
  }
  return {};
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// Hex bytes separated by ':' or '-', each byte one or two hex digits or a wildcard '*', as
// dnsmasq's parse_hex reads a hardware address or a hex client id.
bool hex_bytes(std::string_view f) {
  if (f.empty()) return false;
  for (auto part : split(f, ':')) {
    for (auto byte : split(part, '-')) {
      if (byte == "*") continue;
      if (byte.empty() || byte.size() > 2) return false;
      for (char c : byte) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
      }
    }
  }
  return true;
}

// A tag name after set:, net: or tag: (tag: may negate it with '!').
bool tag_name(std::string_view t, bool negatable) {
  if (negatable && !t.empty() && t.front() == '!') t.remove_prefix(1);
  for (char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if (!((u < 0x80 && std::isalnum(u)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// dhcp-host=<fields>, each read the way dnsmasq's --dhcp-host reads it (option.c): with a
// ':' a client id (id:...), a tag (set:, net:, tag:), an IPv6 address in brackets, or a
// hardware address; an IPv4 address; a lease time (digits with s, m, h, d or w; infinite);
// ignore; else the host's one name. dnsmasq refuses a second name ("DHCP host has
// multiple names"), a bad name, a bad hex constant or IPv6 address; here only the
// characters those use are accepted, so nothing can start another directive.
bool valid_dhcp_host(const std::vector<std::string_view>& fields) {
  if (fields.empty()) return false;
  bool named = false;
  for (auto f : fields) {
    if (f.empty()) return false;
    if (f.find(':') != std::string_view::npos) {
      if (starts_with_ci(f, "id:")) {
        const auto id = f.substr(3);
        if (id == "*") continue;
        if (id.find(':') != std::string_view::npos ? !hex_bytes(id) : !tag_name(id, false) || id.empty()) return false;
      } else if (f.substr(0, 4) == "set:" || f.substr(0, 4) == "net:") {
        if (!tag_name(f.substr(4), false)) return false;
      } else if (f.substr(0, 4) == "tag:") {
        if (!tag_name(f.substr(4), true)) return false;
      } else if (f.front() == '[' && f.back() == ']') {
        std::string_view addr = f.substr(1, f.size() - 2);
        int prefix = 128;
        const size_t slash = addr.find('/');
        if (slash != std::string_view::npos) {
          const auto digits = addr.substr(slash + 1);
          if (!all_digits(digits) || digits.size() > 3) return false;
          prefix = std::stoi(std::string(digits));
          if (prefix > 128) return false;
          addr = addr.substr(0, slash);
        }
        std::string s(addr);
        unsigned char buf[16];
        if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return false;
        // A prefix leaves no address bit set beyond it. dnsmasq refuses some such lines
        // ("bad IPv6 prefix", and FTL stops); it tests only part of those bits, so this is
        // stricter than it, never looser (tests/e2e/validators_test.cpp).
        for (int bit = prefix; bit < 128; ++bit) {
          if (buf[bit / 8] & (0x80 >> (bit % 8))) return false;
        }
      } else if (!hex_bytes(f)) {
        return false;
      }
      continue;
    }
    if (f.find('.') != std::string_view::npos) {
      std::string s(f);
      unsigned char buf[4];
      if (inet_pton(AF_INET, s.c_str(), buf) == 1) continue;
    }
    std::string_view digits = f;
    if (f.size() > 1 && std::string_view("smhdwSMHDW").find(f.back()) != std::string_view::npos) {
      digits.remove_suffix(1);
    }
    if (all_digits(digits) || f == "infinite" || f == "ignore") continue;
    // The host's name: one only; a letter or digit first (dnsmasq's legal_hostname).
    if (named || !std::isalnum(static_cast<unsigned char>(f.front())) || !is_dns_name(f, false)) return false;
    named = true;
  }
  return true;
}

// dnsmasq refuses a file in which two dhcp-host lines reserve one IPv4 address
// ("duplicate dhcp-host IP address").
Status check_dhcp_addresses(std::string_view content) {
  std::map<std::string, int> line_of;
  return for_each_record(Item::static_dhcp, content, [&](int number, const std::vector<std::string_view>& fields) {
    for (auto f : fields) {
      if (f.find(':') != std::string_view::npos || f.find('.') == std::string_view::npos) continue;
      std::string s(f);
      unsigned char buf[4];
      if (inet_pton(AF_INET, s.c_str(), buf) != 1) continue;
      auto [at, fresh] = line_of.emplace(s, number);
      if (!fresh) {
        return Status(make_error(ExitCode::refused, "static-dhcp line " + std::to_string(number) + " reserves " + s +
                                                        ", which line " + std::to_string(at->second) +
                                                        " reserves already (dnsmasq would not start)"));
      }
    }
    return Status{};
  });
}

// True when `text` is valid UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): pihole.toml must be, or FTL writes a file nobody can read back.
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// A control character other than a tab: nothing a record may hold (a line end, above all).
bool has_control_byte(std::string_view line) {
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

// `utf8_names`: accept names with UTF-8 bytes in a CNAME too (only to tell, in a message,
// a line that is refused for that alone).
bool valid_record(Item item, std::string_view value, bool utf8_names) {
  const RecordParts p = record_parts(item, value);
  switch (item.kind()) {
    case Item::Kind::custom_dns: {
      if (p.fields.size() < 2 || !is_ip(p.fields[0])) return false;
      for (size_t i = 1; i < p.fields.size(); ++i) {
        if (!is_dns_name(p.fields[i], utf8_names)) return false;
      }
      return true;
    }
    case Item::Kind::cname:
      return valid_cname(p.fields, utf8_names);
    case Item::Kind::static_dhcp:
      return valid_dhcp_host(p.fields);
    case Item::Kind::gravity:
    case Item::Kind::settings:
      break;
  }
  return false;
}

}  // namespace

bool is_dns_name(std::string_view name, bool utf8) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0) return false;  // an empty label
      label = 0;
      continue;
    }
    // Bytes of UTF-8 names (Pi-hole accepts "äste.com") only where the reader converts
    // them; never control or shell characters. dnsmasq refuses labels over 63 bytes.
    const bool ascii = (u < 0x80 && std::isalnum(u)) || c == '-' || c == '_';
    if (!(ascii || (utf8 && u >= 0x80)) || ++label > 63) return false;
  }
  return name.front() != '-';
}

Status check_text_size(Item item, size_t bytes) {
  if (bytes <= kMaxTextItem) return {};
  return make_error(ExitCode::refused, std::string(item_name(item)) + " is larger than " +
                                           std::to_string(kMaxTextItem >> 20) + " MiB; not a Pi-hole text item");
}

Status validate_text_item(Item item, std::string_view content) {
  if (item == Item::gravity) return make_error(ExitCode::failure, "gravity is not a text item");
  // Every path checks the size, whatever read the content (a remote answer holds one byte
  // more than an item may, to tell).
  if (auto st = check_text_size(item, content.size()); !st) return st;
  if (const FtlKey* key = item.ftl_setting()) {
    // One line, the key's canonical form, or nothing (the key was absent there).
    if (content.empty()) return {};
    if (content.back() != '\n' || content.find('\n') != content.size() - 1) {
      return make_error(ExitCode::refused, std::string(item_name(item)) + " is not one line");
    }
    auto canonical = canonical_setting(*key, content.substr(0, content.size() - 1));
    if (!canonical) return canonical.error();
    return {};
  }
  int number = 0;
  for (std::string_view line : split(content, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLineBytes) {
      return make_error(ExitCode::refused, std::string(item_name(item)) + " line " + std::to_string(number) + " is " +
                                               std::to_string(line.size()) + " bytes long; dnsmasq reads at most " +
                                               std::to_string(kMaxLineBytes) +
                                               " bytes of a line and would read the rest as a line of its own");
    }
    if (!valid_utf8(line)) {
      return make_error(ExitCode::refused, std::string(item_name(item)) + " line " + std::to_string(number) +
                                               " is not valid UTF-8 (Pi-hole v6 keeps records in pihole.toml, which "
                                               "must be)");
    }
    bool ok = !has_control_byte(line);
    if (ok && is_comment_or_blank(item, line)) continue;
    if (ok) {
      const auto value = line_value(item, line);
      ok = value && valid_record(item, *value, false);
      if (!ok && value && valid_record(item, *value, true)) {
        return make_error(ExitCode::refused, std::string(item_name(item)) + " line " + std::to_string(number) +
                                                 " holds a name outside ASCII, which dnsmasq reads only through IDN in a "
                                                 "UTF-8 locale (FTL does not start, v5, or stops answering, v6, where it "
                                                 "cannot) and FTL v6 refuses in dns.hosts: write the name in its ASCII "
                                                 "(punycode, xn--) form");
      }
    }
    if (!ok) {
      const char* expected = item == Item::custom_dns ? "an `IP HOSTNAME...` line"
                             : item == Item::cname    ? "a `cname=ALIAS,TARGET` line"
                                                      : "a `dhcp-host=` line";
      return make_error(ExitCode::refused, std::string(item_name(item)) + " line " + std::to_string(number) +
                                               " is not " + expected + " or a comment");
    }
  }
  if (item == Item::cname) return check_cname_graph(content);
  if (item == Item::static_dhcp) return check_dhcp_addresses(content);
  return {};
}

}  // namespace gs
