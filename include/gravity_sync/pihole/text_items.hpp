#pragma once

#include <string>
#include <string_view>

#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// The largest text item gravity-sync reads or accepts (a v5 file, or the records of a v6
// value): 4 MiB, some 100,000 records. Anything larger is refused (exit 5).
inline constexpr size_t kMaxTextItem = 4 << 20;

// The refusal of a text item of `bytes` beyond kMaxTextItem (ExitCode::refused naming
// `item`); nothing otherwise. validate_text_item checks it first.
Status check_text_size(Item item, size_t bytes);

// The longest line of a text item: dnsmasq reads its files in pieces of 1,024 bytes with
// the line end (option.c read_file: fgets(buff, MAXDNAME)), so a longer line would go on
// as a line of its own — a way to slip in a directive. FTL v6 writes each v6 entry as such
// a line too.
inline constexpr size_t kMaxLineBytes = 1023;

// Check the content of a text item (a v5 file, or the v5 file rendered from v6 records)
// before it is installed: a CNAME file holds only `cname=` lines, a static DHCP file only
// `dhcp-host=` lines, custom.list only `IP HOSTNAME...` lines; comments and blank lines are
// allowed everywhere, and lines are read as dnsmasq reads them (records.hpp). Every line is
// valid UTF-8 (v6 keeps records in pihole.toml). Names in `cname=` and `dhcp-host=` lines
// are ASCII: dnsmasq reads another name only through IDN in a UTF-8 locale, and where it
// cannot, v5's FTL does not start ("FATAL ERROR in dnsmasq core: bad CNAME") and v6's FTL
// stops answering after its restart ("CRIT: Error in dnsmasq configuration") — both
// measured on real FTL. A CNAME file must not name an alias twice or make a loop (both
// stop dnsmasq). ExitCode::refused naming the first bad line otherwise. `item` must not be
// gravity.
Status validate_text_item(Item item, std::string_view content);

// True when `name` is a DNS name we accept in a record: labels of 1-63 letters, digits,
// '-' and '_' separated by '.', at most 253 bytes; with `utf8`, also the bytes of UTF-8
// (internationalised names). Nothing that could end a line or a field.
bool is_dns_name(std::string_view name, bool utf8 = true);

}  // namespace gs
