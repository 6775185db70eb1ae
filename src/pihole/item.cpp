#include "gravity_sync/pihole/item.hpp"

namespace gs {

namespace {

// "settings." and each key, made once: item_name hands out pointers into it.
const std::vector<std::string>& setting_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const FtlKey& k : ftl_keys()) out.push_back(std::string(kSettingsName) + "." + std::string(k.key));
    return out;
  }();
  return names;
}

}  // namespace

Item Item::setting(const FtlKey& key) { return Item(Kind::settings, static_cast<uint16_t>(&key - ftl_keys().data())); }

const FtlKey* Item::ftl_setting() const {
  if (kind_ != Kind::settings || key_ >= ftl_keys().size()) return nullptr;
  return &ftl_keys()[key_];
}

const char* item_name(Item item) {
  switch (item.kind()) {
    case Item::Kind::gravity:
      return "gravity";
    case Item::Kind::custom_dns:
      return "custom-dns";
    case Item::Kind::cname:
      return "cname";
    case Item::Kind::static_dhcp:
      return "static-dhcp";
    case Item::Kind::settings:
      if (const FtlKey* key = item.ftl_setting()) return setting_names()[key - ftl_keys().data()].c_str();
      return "settings";
  }
  return "?";
}

std::optional<Item> parse_item(std::string_view name) {
  for (Item item : kAllItems) {
    if (name == item_name(item)) return item;
  }
  if (name.size() > kSettingsName.size() + 1 && name.substr(0, kSettingsName.size()) == kSettingsName &&
      name[kSettingsName.size()] == '.') {
    if (const FtlKey* key = find_ftl_key(name.substr(kSettingsName.size() + 1))) return Item::setting(*key);
  }
  return std::nullopt;
}

std::optional<std::vector<Item>> parse_item_list(std::string_view list, std::string* bad,
                                                 const std::vector<Item>& settings) {
  std::vector<Item> items;
  auto add = [&](Item item) {
    bool seen = false;
    for (Item i : items) seen = seen || i == item;
    if (!seen) items.push_back(item);
  };
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view name = list.substr(start, end - start);
    if (name == kSettingsName) {
      for (Item s : settings) add(s);
    } else if (auto item = parse_item(name)) {
      add(*item);
    } else {
      if (bad) *bad = std::string(name);
      return std::nullopt;
    }
    start = end + 1;
  }
  return items;
}

}  // namespace gs
