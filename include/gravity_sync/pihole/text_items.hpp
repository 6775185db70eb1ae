#pragma once

#include <string>
#include <string_view>

#include "gravity_sync/pihole/item.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// Check the content of a text item before it is installed: a CNAME file holds only
// `cname=` lines, a static DHCP file only `dhcp-host=` lines, custom.list only
// `IP HOSTNAME...` lines; comments and blank lines are allowed everywhere.
// ExitCode::refused naming the first bad line otherwise. `item` must not be gravity.
Status validate_text_item(Item item, std::string_view content);

// True when `name` is a DNS name we accept in a record: letters, digits, '-', '_', '.' and
// the bytes of UTF-8 (internationalised names); nothing that could end a line or a field.
bool is_dns_name(std::string_view name);

}  // namespace gs
