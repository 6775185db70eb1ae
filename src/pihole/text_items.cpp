#include "gravity_sync/pihole/text_items.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstdint>
#include <map>
#include <vector>

#include "gravity_sync/pihole/records.hpp"
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

// dnsmasq refuses to start on an alias given twice ("duplicate CNAME") or a chain of
// CNAMEs that comes back to itself ("CNAME loop involving ..."): the file-level rules.
Status check_cname_graph(std::string_view content) {
  std::map<std::string, std::string> target_of;
  std::map<std::string, int> line_of;  // where each alias was given first
  int number = 0;
  for (std::string_view line : split(content, '\n')) {
    ++number;
    if (is_comment_or_blank(Item::cname, line)) continue;
    const auto value = line_value(Item::cname, line);
    if (!value) continue;
    const auto names = cname_names(record_parts(Item::cname, *value).fields);
    if (names.empty()) continue;
    const std::string target = dns_key(names.back());
    for (size_t i = 0; i + 1 < names.size(); ++i) {
      const std::string alias = dns_key(names[i]);
      if (!target_of.emplace(alias, target).second) {
        return make_error(ExitCode::refused, "cname line " + std::to_string(number) + " gives the alias of line " +
                                                 std::to_string(line_of[alias]) +
                                                 " a second time (dnsmasq would not start)");
      }
      line_of.emplace(alias, number);
    }
  }
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

// dhcp-host=<fields>: MAC addresses, client ids, IPs, names, lease times, tags.
// Only the characters those use; nothing that could start another directive.
bool valid_dhcp_host(const std::vector<std::string_view>& fields) {
  if (fields.empty()) return false;
  for (auto f : fields) {
    if (f.empty()) return false;
    for (char c : f) {
      auto u = static_cast<unsigned char>(c);
      if (!((u < 0x80 && std::isalnum(u)) || c == ':' || c == '.' || c == '-' || c == '_' || c == '*' || c == '[' ||
            c == ']')) {
        return false;
      }
    }
  }
  return true;
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
  switch (item) {
    case Item::custom_dns: {
      if (p.fields.size() < 2 || !is_ip(p.fields[0])) return false;
      for (size_t i = 1; i < p.fields.size(); ++i) {
        if (!is_dns_name(p.fields[i])) return false;
      }
      return true;
    }
    case Item::cname:
      return valid_cname(p.fields, utf8_names);
    case Item::static_dhcp:
      return valid_dhcp_host(p.fields);
    case Item::gravity:
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

Status validate_text_item(Item item, std::string_view content) {
  if (item == Item::gravity) return make_error(ExitCode::failure, "gravity is not a text item");
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
                                                 " holds a name outside ASCII; dnsmasq reads such a name only through IDN in a UTF-8 locale, and "
                                                 "FTL does not start (v5) or stops answering (v6) where it cannot: write "
                                                 "the name in its ASCII (punycode, xn--) form");
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
  return {};
}

}  // namespace gs
