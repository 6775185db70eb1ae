#pragma once

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
// One record is what one v6 array entry holds: "IP HOSTNAME [HOSTNAME...]" for custom-dns,
// "CNAME,TARGET[,TTL]" for cname, the dhcp-host value for static-dhcp. A v5 file line is
// the same record with its `cname=` / `dhcp-host=` prefix.
using Records = std::vector<std::string>;

// How text items are compared and carried between two nodes. `bytes` when both run
// Pi-hole v5 (the files travel as they are); `records` when either runs v6 (the
// canonical form travels; comments are not carried).
enum class TextForm { bytes, records };

// The records of a v5 file, in file order: comments and blank lines dropped, fields
// separated by single spaces, a trailing `# comment` on a custom.list line dropped.
// A line that is not a record of `item` is kept as it is, so that validation of the
// rendered file (validate_text_item) refuses it.
Records records_from_file(Item item, std::string_view content);

// The v5 file that holds `records` (one line each, with its prefix, ending in '\n').
std::string file_from_records(Item item, const Records& records);

// The whitespace-separated fields of one line (spaces, tabs, a trailing '\r').
std::vector<std::string_view> record_fields(std::string_view line);

// The canonical form (CONTRACT.md): one record per line, each ending in '\n'.
std::string canonical_text(const Records& records);

// The SHA-256 of the canonical form.
std::string records_digest(const Records& records);

// The pihole.toml key of `item` on Pi-hole v6 ("dns.hosts").
const char* ftl_key(Item item);

// The environment variable that sets `item`'s key and makes it read-only ("FTLCONF_dns_hosts").
std::string ftl_env_var(Item item);

// Parse what `pihole-FTL --config KEY` prints for a string array (`[ "a", "b" ]`, `[]`).
// ExitCode::refused when it is not one, or an entry holds a control character.
Result<Records> parse_ftl_array(std::string_view printed);

// The JSON string array `pihole-FTL --config KEY VALUE` takes.
std::string ftl_array_json(const Records& records);

// What an exit code of `pihole-FTL --config KEY VALUE` means, as an error for `item`;
// `detail` is what FTL printed.
Error ftl_set_error(Item item, int exit_code, const std::string& detail);

}  // namespace gs
