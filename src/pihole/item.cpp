#include "gravity_sync/pihole/item.hpp"

namespace gs {

const char* item_name(Item item) {
  switch (item) {
    case Item::gravity: return "gravity";
    case Item::custom_dns: return "custom-dns";
    case Item::cname: return "cname";
    case Item::static_dhcp: return "static-dhcp";
  }
  return "?";
}

std::optional<Item> parse_item(std::string_view name) {
  for (Item item : kAllItems) {
    if (name == item_name(item)) return item;
  }
  return std::nullopt;
}

std::optional<std::vector<Item>> parse_item_list(std::string_view list, std::string* bad) {
  std::vector<Item> items;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view name = list.substr(start, end - start);
    auto item = parse_item(name);
    if (!item) {
      if (bad) *bad = std::string(name);
      return std::nullopt;
    }
    bool seen = false;
    for (Item i : items) seen = seen || i == *item;
    if (!seen) items.push_back(*item);
    start = end + 1;
  }
  return items;
}

}  // namespace gs
