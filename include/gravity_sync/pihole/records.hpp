#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// The records of a text item, independent of where a node keeps them: v5 files
// (custom.list, 05-pihole-custom-cname.conf, 04-pihole-static-dhcp.conf) or v6 values in
// pihole.toml (dns.hosts, dns.cnameRecords, dhcp.hosts).
//
// A settings item (one pihole.toml key) has one record, its canonical form
// (pihole/settings.hpp), or none when pihole.toml does not hold the key; its "v5 file" is
// that line (the backup's content).
//
// One record is what one v6 array entry holds: "IP HOSTNAME [HOSTNAME...]" for custom-dns,
// "CNAME,TARGET[,TTL]" for cname, the dhcp-host value for static-dhcp. A v5 file line is
// the same record with its `cname=` / `dhcp-host=` prefix. Records are kept *normalized*:
// fields as dnsmasq and FTL read them (custom-dns: separated by single spaces; cname and
// static-dhcp: by commas, the whitespace around each comma dropped), and a trailing
// comment, if any, as " # text" (dnsmasq: a '#' at the start of a line or after
// whitespace; hosts files and FTL's dns.hosts: a word starting with '#').
using Records = std::vector<std::string>;

// How text items are compared and carried between two nodes. `bytes` when both run
// Pi-hole v5 (the files travel as they are); `records` when either runs v6 (the
// normalized records travel; whole-line comments and blank lines do not).
enum class TextForm { bytes, records };

// A record taken apart: its fields (custom-dns: the address, then the names; cname and
// static-dhcp: the comma-separated values, trimmed) and its trailing comment, from the
// '#' on (empty when there is none). Views into `entry`.
struct RecordParts {
  std::vector<std::string_view> fields;
  std::string_view comment;
};
RecordParts record_parts(Item item, std::string_view entry);

// The value of one v5 file line of `item` without its `cname=` / `dhcp-host=` prefix
// (dnsmasq allows whitespace around the '='), or nullopt when the line is another
// directive. custom-dns lines have no prefix: the line itself.
std::optional<std::string_view> line_value(Item item, std::string_view line);

// True when a v5 line of `item` holds no record: blank, or only a comment.
bool is_comment_or_blank(Item item, std::string_view line);

// The normalized record of one v5 line value (without its prefix) or one v6 entry.
std::string normalize_record(Item item, std::string_view entry);

// The compare key of a record (CONTRACT.md "canonical form"): normalized, the comment
// dropped, and what DNS and dnsmasq read without regard to case folded to lower case
// (custom-dns and cname: the whole record; static-dhcp: its hardware addresses only, as
// tags, keywords and host names there are case-sensitive to dnsmasq).
std::string canonical_record(Item item, std::string_view record);

// The records of a v5 file, in file order: comment lines and blank lines dropped. A line
// that is not a record of `item` (a foreign directive) is kept as it is, so that validation
// of the rendered file (validate_text_item) refuses it.
Records records_from_file(Item item, std::string_view content);

// The records of a v6 array as FTL holds it: empty entries skipped, as FTL skips them, and
// entries whose v5 line holds no record (a dns.hosts entry that is only a comment), as
// records_from_file skips those lines. ExitCode::refused when an entry holds a control
// character other than a tab.
Result<Records> records_from_values(Item item, const std::vector<std::string>& entries);

// The records of `item`'s value in pihole.toml (records_from_values of its string array).
class PiholeToml;
Result<Records> records_from_toml(const PiholeToml& toml, Item item);

// The v5 file that holds `records` (one line each, with its prefix, ending in '\n').
std::string file_from_records(Item item, const Records& records);

// The whitespace-separated fields of one line (spaces, tabs, a trailing '\r').
std::vector<std::string_view> record_fields(std::string_view line);

// The canonical form (CONTRACT.md): each record's canonical_record() on a line of its own.
std::string canonical_text(Item item, const Records& records);

// The SHA-256 of the canonical form.
std::string records_digest(Item item, const Records& records);

// The pihole.toml key of `item` on Pi-hole v6 ("dns.hosts").
const char* ftl_key(Item item);

// The environment variable that sets `item`'s key and makes it read-only ("FTLCONF_dns_hosts").
std::string ftl_env_var(Item item);

// The JSON string array `pihole-FTL --config KEY VALUE` takes.
std::string ftl_array_json(const Records& records);

// The VALUE `pihole-FTL --config KEY VALUE` takes for `item`'s records: ftl_array_json, or
// for a settings item setting_cli_value of its one record (its canonical form).
std::string ftl_value(Item item, const Records& records);

// The longest VALUE `pihole-FTL --config KEY VALUE` can be given: Linux passes no single
// argument longer than 128 KiB with its terminating NUL (MAX_ARG_STRLEN), and FTL reads the
// value from its arguments only. About 3,000 to 5,000 records.
inline constexpr size_t kMaxFtlValue = 128 * 1024 - 1;

// ExitCode::refused naming the key and the sizes when `json` is longer than kMaxFtlValue.
Status check_ftl_value_size(Item item, const std::string& json);

// What an exit code of `pihole-FTL --config KEY VALUE` means, as an error for `item`;
// `detail` is what FTL printed. Exit codes as measured on FTL v6.4.1
// (../shared/pihole-real/README.md): 2 not valid JSON or not a string array, 3 an entry
// FTL refuses or a failed dnsmasq test of the new configuration, 4 unknown key, 5 set by
// an FTLCONF_ variable (read-only).
Error ftl_set_error(Item item, int exit_code, const std::string& detail);

// `pihole-FTL --config KEY VALUE`'s exit code for a key an FTLCONF_ variable sets (FTL
// v6.4.1 src/config/cli.c ENV_VAR_FORCED).
inline constexpr int kFtlExitSetByEnv = 5;

}  // namespace gs
