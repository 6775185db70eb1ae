#include "gravity_sync/pihole/records.hpp"

#include <optional>

#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/settings.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

const char* file_prefix(Item item) {
  switch (item.kind()) {
    case Item::Kind::cname:
      return "cname=";
    case Item::Kind::static_dhcp:
      return "dhcp-host=";
    default:
      return "";
  }
}

}  // namespace

std::vector<std::string_view> record_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

// custom-dns is read as a hosts file (dnsmasq's read_hostsfile, FTL's validate_dns_hosts):
// words separated by whitespace, a word starting with '#' begins the comment. cname and
// static-dhcp are dnsmasq options (option.c read_file): a '#' at the start or after
// whitespace begins the comment, and the value's fields are split at commas with the
// whitespace around each comma dropped (split_chr).
RecordParts record_parts(Item item, std::string_view entry) {
  RecordParts p;
  if (item == Item::custom_dns) {
    size_t i = 0;
    while (i < entry.size()) {
      while (i < entry.size() && is_space(entry[i])) ++i;
      if (i >= entry.size()) break;
      if (entry[i] == '#') {
        p.comment = trim(entry.substr(i));
        break;
      }
      const size_t start = i;
      while (i < entry.size() && !is_space(entry[i])) ++i;
      p.fields.push_back(entry.substr(start, i - start));
    }
    return p;
  }
  size_t end = entry.size();
  bool white = true;
  for (size_t i = 0; i < entry.size(); ++i) {
    if (is_space(entry[i])) {
      white = true;
    } else if (white && entry[i] == '#') {
      end = i;
      break;
    } else {
      white = false;
    }
  }
  if (end < entry.size()) p.comment = trim(entry.substr(end));
  const std::string_view value = trim(entry.substr(0, end));
  if (value.empty()) return p;
  size_t start = 0;
  for (;;) {
    const size_t comma = value.find(',', start);
    p.fields.push_back(
        trim(value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return p;
}

namespace {

// A separator between every two fields, empty ones included: dnsmasq reads the empty
// field of "cname=,a.lan,b.lan" as a field, so dropping its comma would turn a record
// dnsmasq refuses into another, valid one (and make both compare equal).
std::string joined(Item item, const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += item == Item::custom_dns ? ' ' : ',';
    out += fields[i];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A dhcp-host field that holds a hardware address (or an IPv6 address in brackets):
// hex digits with ':' (and '-', '*', '[', ']'); dnsmasq reads those without regard to case.
bool hardware_address(std::string_view f) {
  if (f.find(':') == std::string_view::npos) return false;
  for (char c : f) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '-' && c != '*' && c != '[' && c != ']') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> line_value(Item item, std::string_view line) {
  std::string_view s = trim(line);
  if (item == Item::custom_dns) return s;
  const std::string_view key = file_prefix(item);  // "cname=", without the '='
  const std::string_view name = key.substr(0, key.size() - 1);
  if (s.substr(0, name.size()) != name) return std::nullopt;
  s.remove_prefix(name.size());
  s = trim(s);
  if (s.empty() || s.front() != '=') return std::nullopt;
  s.remove_prefix(1);
  return s;
}

bool is_comment_or_blank(Item item, std::string_view line) {
  const std::string_view s = trim(line);
  if (s.empty() || s.front() == '#') return true;
  return item == Item::custom_dns && record_parts(item, s).fields.empty();
}

std::string normalize_record(Item item, std::string_view entry) {
  const RecordParts p = record_parts(item, entry);
  std::vector<std::string> fields(p.fields.begin(), p.fields.end());
  std::string out = joined(item, fields);
  if (!p.comment.empty()) out += (out.empty() ? "" : " ") + std::string(p.comment);
  return out;
}

std::string canonical_record(Item item, std::string_view record) {
  const RecordParts p = record_parts(item, record);
  std::vector<std::string> fields;
  for (auto f : p.fields)
    fields.push_back(item != Item::static_dhcp || hardware_address(f) ? lower(f) : std::string(f));
  return joined(item, fields);
}

Records records_from_file(Item item, std::string_view content) {
  Records out;
  if (item.is_setting()) {
    // One line: the canonical form (validate_text_item checks it).
    std::string_view line = content.substr(0, content.find('\n'));
    if (!line.empty()) out.emplace_back(line);
    return out;
  }
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    const std::string_view line = content.substr(start, end - start);
    start = end + 1;
    if (is_comment_or_blank(item, line)) continue;
    auto value = line_value(item, line);
    // A line without its prefix stays as it is; validation refuses it.
    out.push_back(value ? normalize_record(item, *value) : std::string(trim(line)));
  }
  return out;
}

Result<Records> records_from_values(Item item, const std::vector<std::string>& entries) {
  Records out;
  size_t index = 0;
  for (const auto& entry : entries) {
    for (char c : entry) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return make_error(ExitCode::refused, std::string(ftl_key(item)) + "[" + std::to_string(index) +
                                                 "] holds a control character");
      }
    }
    ++index;
    std::string record = normalize_record(item, entry);
    // An entry whose line in the v5 file holds no record (blank, or a dns.hosts entry that
    // is only a comment, which the hosts file FTL writes reads as a comment) is skipped,
    // as records_from_file skips that line: otherwise a v6 node and the node it syncs
    // with never agree on the digest.
    if (record.empty() || is_comment_or_blank(item, file_prefix(item) + record)) continue;
    out.push_back(std::move(record));
  }
  return out;
}

Result<Records> records_from_toml(const PiholeToml& toml, Item item) {
  if (const FtlKey* key = item.ftl_setting()) {
    auto value = toml.setting(*key);
    if (!value) return value.error();
    Records out;
    if (*value) out.push_back(std::move(**value));
    return out;
  }
  auto entries = toml.string_array(ftl_key(item));
  if (!entries) return entries.error();
  return records_from_values(item, *entries);
}

std::string file_from_records(Item item, const Records& records) {
  std::string out;
  if (item.is_setting()) return records.empty() ? out : records.front() + "\n";
  for (const auto& r : records) out += file_prefix(item) + r + "\n";
  return out;
}

std::string canonical_text(Item item, const Records& records) {
  std::string out;
  if (item.is_setting()) return file_from_records(item, records);
  for (const auto& r : records) out += canonical_record(item, r) + "\n";
  return out;
}

std::string records_digest(Item item, const Records& records) { return sha256_hex(canonical_text(item, records)); }

const char* ftl_key(Item item) {
  switch (item.kind()) {
    case Item::Kind::custom_dns:
      return "dns.hosts";
    case Item::Kind::cname:
      return "dns.cnameRecords";
    case Item::Kind::static_dhcp:
      return "dhcp.hosts";
    case Item::Kind::settings:
      return item.ftl_setting()->key.data();  // a NUL-terminated literal of ftl_keys.inc
    case Item::Kind::gravity:
      break;
  }
  return "";
}

std::string ftl_env_var(Item item) {
  std::string key = ftl_key(item);
  for (char& c : key) {
    if (c == '.') c = '_';
  }
  return "FTLCONF_" + key;
}

std::string ftl_value(Item item, const Records& records) {
  if (const FtlKey* key = item.ftl_setting()) return records.empty() ? "" : setting_cli_value(*key, records.front());
  return ftl_array_json(records);
}

std::string ftl_array_json(const Records& records) {
  Json a = Json::array();
  for (const auto& r : records) a.push(r);
  return a.dump();
}

Status check_ftl_value_size(Item item, const std::string& json) {
  if (json.size() <= kMaxFtlValue) return {};
  return make_error(ExitCode::refused, std::string(ftl_key(item)) + " would be " + std::to_string(json.size() / 1024) +
                                           " KiB as JSON, and pihole-FTL --config takes at most 128 KiB in one value "
                                           "(a limit of Linux's command lines); it is left as it is");
}

Error ftl_set_error(Item item, int exit_code, const std::string& detail) {
  const std::string key = ftl_key(item);
  const std::string shown = printable(detail.substr(0, detail.find('\n')), 300);
  switch (exit_code) {
    case 2:
      return Error{ExitCode::refused, "pihole-FTL refused the value of " + key + " as invalid: " + shown};
    case 3:
      // FTL's exit 3 is either: its own check refused an entry ("Invalid value: KEY[i]:
      // ..."), or the dnsmasq configuration it wrote failed dnsmasq's test ("New dnsmasq
      // configuration is not valid (dnsmasq: ...)") (FTL v6.4.1, src/config/cli.c).
      if (detail.find("New dnsmasq configuration is not valid") != std::string::npos) {
        return Error{ExitCode::refused, "pihole-FTL refused the new " + key +
                                            ": dnsmasq's test of the whole configuration FTL would write with it failed "
                                            "(the fault may be in another setting of that node): " +
                                            shown};
      }
      if (detail.find("Invalid value") != std::string::npos) {
        return Error{ExitCode::refused, std::string("pihole-FTL refused ") +
                                            (item.is_setting() ? "the new value of " : "an entry of the new ") + key +
                                            " as invalid: " + shown};
      }
      // Anything else FTL's check ran into (a temporary file of its own test, while FTL
      // restarted: "Cannot remove temporary dnsmasq config file") is no verdict on the
      // value: a failure, tried again by the next run.
      return Error{ExitCode::failure, "pihole-FTL could not check the new " + key + " (exit 3): " + shown};
    case 4:
      return Error{ExitCode::refused, "this Pi-hole does not know the setting " + key + " (update it): " + shown};
    case 5:
      return Error{ExitCode::refused, key + " is read-only on this node: it is set by the environment variable " +
                                          ftl_env_var(item) + " (common in Docker). Remove " + ftl_env_var(item) +
                                          " from Pi-hole's environment so gravity-sync can manage " + key};
    default:
      return Error{ExitCode::failure,
                   "`pihole-FTL --config " + key + "` failed (exit " + std::to_string(exit_code) + "): " + shown};
  }
}

}  // namespace gs
