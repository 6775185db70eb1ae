#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/pihole/ftl_keys.hpp"

namespace gs {

// One unit of Pi-hole configuration that is synced as a whole (CONTRACT.md "item"):
// gravity, custom-dns, cname, static-dhcp, or one pihole.toml key of the `settings` item
// (v6), which is compared, synced, backed up and reported on its own.
class Item {
 public:
  enum class Kind : uint8_t { gravity, custom_dns, cname, static_dhcp, settings };

  static const Item gravity;
  static const Item custom_dns;
  static const Item cname;
  static const Item static_dhcp;

  constexpr Item() = default;
  constexpr explicit Item(Kind kind) : kind_(kind) {}

  // The settings item of FTL's `key` (an entry of ftl_keys()).
  static Item setting(const FtlKey& key);

  Kind kind() const { return kind_; }
  bool is_setting() const { return kind_ == Kind::settings; }
  // The pihole.toml key of a settings item; nullptr for the other items.
  const FtlKey* ftl_setting() const;

  constexpr auto operator<=>(const Item&) const = default;

 private:
  constexpr Item(Kind kind, uint16_t key) : kind_(kind), key_(key) {}
  Kind kind_ = Kind::gravity;
  uint16_t key_ = 0;  // settings: the index of its key in ftl_keys()
};

inline constexpr Item Item::gravity{Item::Kind::gravity};
inline constexpr Item Item::custom_dns{Item::Kind::custom_dns};
inline constexpr Item Item::cname{Item::Kind::cname};
inline constexpr Item Item::static_dhcp{Item::Kind::static_dhcp};

// The items that are one file or value each, in the order they are reported and applied
// (settings items follow them, in the order of `sync.settings`).
inline constexpr Item kAllItems[] = {Item::gravity, Item::custom_dns, Item::cname, Item::static_dhcp};

// The name of the `settings` item as a whole (`sync.items`, `--only`).
inline constexpr std::string_view kSettingsName = "settings";

// The contract's name of `item` ("custom-dns"); a settings item is "settings." and its key
// ("settings.dns.upstreams"), which is also its name in the state and the backups.
const char* item_name(Item item);

// The item named `name` (one of kAllItems, or "settings.KEY" for a key FTL knows), or nullopt.
std::optional<Item> parse_item(std::string_view name);

// Parse "a,b,c" into items; nullopt and `bad` set to the first unknown name on error.
// "settings" stands for `settings` (the keys the config lists), in its place.
std::optional<std::vector<Item>> parse_item_list(std::string_view list, std::string* bad,
                                                 const std::vector<Item>& settings = {});

}  // namespace gs
