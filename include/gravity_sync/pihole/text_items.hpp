#pragma once

#include <string>
#include <string_view>

#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// The largest text item gravity-sync reads or accepts (a v5 file, or the records of a v6
// value): 4 MiB, some 100,000 records. Anything larger is refused (exit 5).
inline constexpr size_t kMaxTextItem = 4 << 20;

// Who reads a text item once it is installed, for validate_text_item.
enum class TextReader {
  // Pi-hole v5's dnsmasq (FTL v5.25.2) reading the file. A name it cannot read in a
  // `cname=` or `dhcp-host=` line is fatal there: FTL does not start and DNS stops. It
  // reads names outside ASCII only through libidn in a UTF-8 locale, so those are refused
  // in those two files (measured: "FATAL ERROR in dnsmasq core: bad CNAME").
  dnsmasq_v5,
  // Pi-hole v6's FTL, handed the records through `pihole-FTL --config`: it converts
  // international names itself (libidn2) and tests the resulting dnsmasq configuration
  // before it accepts a value, so UTF-8 names pass here.
  ftl_v6,
};

// Check the content of a text item (a v5 file, or the v5 file rendered from v6 records)
// before it is installed: a CNAME file holds only `cname=` lines, a static DHCP file only
// `dhcp-host=` lines, custom.list only `IP HOSTNAME...` lines; comments and blank lines are
// allowed everywhere, and lines are read as dnsmasq reads them (records.hpp). A CNAME file
// must not name an alias twice or make a loop (both stop dnsmasq). ExitCode::refused naming
// the first bad line otherwise. `item` must not be gravity.
Status validate_text_item(Item item, std::string_view content, TextReader reader);

// True when `name` is a DNS name we accept in a record: labels of 1-63 letters, digits,
// '-' and '_' separated by '.', at most 253 bytes; with `utf8`, also the bytes of UTF-8
// (internationalised names). Nothing that could end a line or a field.
bool is_dns_name(std::string_view name, bool utf8 = true);

}  // namespace gs
