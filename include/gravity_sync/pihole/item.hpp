#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gs {

// One unit of Pi-hole configuration that is synced as a whole (CONTRACT.md "item").
enum class Item { gravity, custom_dns, cname, static_dhcp };

// All items, in the order they are reported and applied.
inline constexpr Item kAllItems[] = {Item::gravity, Item::custom_dns, Item::cname, Item::static_dhcp};

// The contract's name of `item` ("custom-dns").
const char* item_name(Item item);

// The item named `name`, or nullopt.
std::optional<Item> parse_item(std::string_view name);

// Parse "a,b,c" into items; nullopt and `bad` set to the first unknown name on error.
std::optional<std::vector<Item>> parse_item_list(std::string_view list, std::string* bad);

}  // namespace gs
