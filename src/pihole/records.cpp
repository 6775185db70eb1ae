#include "gravity_sync/pihole/records.hpp"

#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

const char* file_prefix(Item item) {
  switch (item) {
    case Item::cname: return "cname=";
    case Item::static_dhcp: return "dhcp-host=";
    default: return "";
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

std::string join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

}  // namespace

Records records_from_file(Item item, std::string_view content) {
  Records out;
  const std::string_view prefix = file_prefix(item);
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    auto f = record_fields(content.substr(start, end - start));
    start = end + 1;
    if (f.empty() || f.front().front() == '#') continue;
    if (item == Item::custom_dns) {
      for (size_t i = 1; i < f.size(); ++i) {
        if (f[i].front() == '#') {
          f.resize(i);
          break;
        }
      }
    }
    std::string record = join(f);
    // A line without its prefix stays as it is; validation of the rendered file refuses it.
    if (!prefix.empty() && record.rfind(prefix, 0) == 0) record.erase(0, prefix.size());
    out.push_back(std::move(record));
  }
  return out;
}

std::string file_from_records(Item item, const Records& records) {
  std::string out;
  for (const auto& r : records) out += file_prefix(item) + r + "\n";
  return out;
}

std::string canonical_text(const Records& records) {
  std::string out;
  for (const auto& r : records) out += r + "\n";
  return out;
}

std::string records_digest(const Records& records) { return sha256_hex(canonical_text(records)); }

const char* ftl_key(Item item) {
  switch (item) {
    case Item::custom_dns: return "dns.hosts";
    case Item::cname: return "dns.cnameRecords";
    case Item::static_dhcp: return "dhcp.hosts";
    case Item::gravity: break;
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

Result<Records> parse_ftl_array(std::string_view printed) {
  std::string text(printed);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto json = Json::parse(text);
  if (!json || !json->is_array()) {
    return make_error(ExitCode::refused, "not a string array: \"" + printable(text, 120) + "\"");
  }
  Records out;
  for (const auto& entry : json->items()) {
    if (!entry.is_string()) {
      return make_error(ExitCode::refused, "an entry of the array is not a string");
    }
    const std::string s = entry.as_string();
    if (has_control_chars(s)) return make_error(ExitCode::refused, "an entry holds a control character");
    // The canonical form: fields separated by single spaces.
    out.push_back(join(record_fields(s)));
  }
  return out;
}

std::string ftl_array_json(const Records& records) {
  Json a = Json::array();
  for (const auto& r : records) a.push(r);
  return a.dump();
}

Error ftl_set_error(Item item, int exit_code, const std::string& detail) {
  const std::string key = ftl_key(item);
  const std::string shown = printable(detail.substr(0, detail.find('\n')), 300);
  switch (exit_code) {
    case 2: return Error{ExitCode::refused, "pihole-FTL refused the value of " + key + " as invalid: " + shown};
    case 3: return Error{ExitCode::refused, "pihole-FTL's dnsmasq test failed for the new " + key + ": " + shown};
    case 4: return Error{ExitCode::refused, "this Pi-hole does not know the setting " + key + " (update it): " + shown};
    case 5:
      return Error{ExitCode::refused, key + " is read-only on this node: it is set by the environment variable " +
                                          ftl_env_var(item) + " (common in Docker). Remove " + ftl_env_var(item) +
                                          " from Pi-hole's environment so gravity-sync can manage " + key};
    default:
      return Error{ExitCode::failure, "`pihole-FTL --config " + key + "` failed (exit " + std::to_string(exit_code) +
                                          "): " + shown};
  }
}

}  // namespace gs
