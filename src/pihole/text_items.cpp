#include "gravity_sync/pihole/text_items.hpp"

#include <arpa/inet.h>
#include <cctype>
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

// cname=<alias>[,<alias>...],<target>[,<ttl>]
bool valid_cname(std::string_view value) {
  auto fields = split(value, ',');
  if (fields.size() < 2) return false;
  if (fields.size() >= 3 && all_digits(fields.back())) fields.pop_back();
  for (auto f : fields) {
    if (!is_dns_name(f)) return false;
  }
  return fields.size() >= 2;
}

// dhcp-host=<fields>: MAC addresses, client ids, IPs, names, lease times, tags.
// Only the characters those use; nothing that could start another directive.
bool valid_dhcp_host(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == ':' || c == '.' || c == ',' || c == '-' || c == '_' || c == '*' || c == '[' ||
          c == ']')) {
      return false;
    }
  }
  return true;
}

bool comment_or_blank(std::string_view line) {
  auto w = record_fields(line);
  return w.empty() || w.front().front() == '#';
}

}  // namespace

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    // Bytes of UTF-8 names (Pi-hole accepts "äste.com") are fine; no control or shell characters.
    if (!(std::isalnum(u) || u >= 0x80 || c == '-' || c == '_' || c == '.')) return false;
  }
  return name.front() != '.' && name.front() != '-';
}

Status validate_text_item(Item item, std::string_view content) {
  int number = 0;
  for (std::string_view line : split(content, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (comment_or_blank(line)) continue;
    bool ok = false;
    switch (item) {
      case Item::custom_dns: {
        auto w = record_fields(line);
        ok = w.size() >= 2 && is_ip(w[0]);
        for (size_t i = 1; ok && i < w.size(); ++i) {
          if (w[i].front() == '#') break;  // trailing comment
          ok = is_dns_name(w[i]);
        }
        break;
      }
      case Item::cname:
        ok = line.rfind("cname=", 0) == 0 && valid_cname(line.substr(6));
        break;
      case Item::static_dhcp:
        ok = line.rfind("dhcp-host=", 0) == 0 && valid_dhcp_host(line.substr(10));
        break;
      case Item::gravity:
        return make_error(ExitCode::failure, "gravity is not a text item");
    }
    if (!ok) {
      const std::string shown = printable(line, 120);
      const char* expected = item == Item::custom_dns ? "an `IP HOSTNAME...` line"
                             : item == Item::cname   ? "a `cname=ALIAS,TARGET` line"
                                                     : "a `dhcp-host=` line";
      return make_error(ExitCode::refused, std::string(item_name(item)) + " line " + std::to_string(number) + " is not " +
                                               expected + " or a comment: \"" + shown + "\"");
    }
  }
  return {};
}

}  // namespace gs
