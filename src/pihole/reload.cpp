#include "gravity_sync/pihole/reload.hpp"

namespace gs {

Reload reload_for(Item item, int major) {
  switch (item.kind()) {
    case Item::Kind::gravity: return Reload::lists;
    case Item::Kind::custom_dns: return major >= 6 ? Reload::none : Reload::dns;
    case Item::Kind::cname:
    case Item::Kind::static_dhcp: return major >= 6 ? Reload::none : Reload::restart;
    case Item::Kind::settings: return Reload::none;  // FTL applies its --config changes itself
  }
  return Reload::restart;
}

Reload heavier(Reload a, Reload b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

std::vector<std::string> reload_args(Reload level, int major) {
  if (major >= 6) {
    // v6 has no restartdns; FTL applies its own --config changes itself.
    switch (level) {
      case Reload::none: return {};
      case Reload::lists: return {"reloadlists"};
      case Reload::dns: return {"reloaddns"};
      case Reload::restart: return {"reloaddns"};
    }
  }
  switch (level) {
    case Reload::none: return {};
    case Reload::lists: return {"restartdns", "reload-lists"};
    case Reload::dns: return {"restartdns", "reload"};
    case Reload::restart: return {"restartdns"};
  }
  return {};
}

const char* reload_name(Reload level) {
  switch (level) {
    case Reload::none:
      return "none";
    case Reload::lists:
      return "lists";
    case Reload::dns:
      return "dns";
    case Reload::restart:
      return "restart";
  }
  return "none";
}

std::optional<Reload> parse_reload(std::string_view name) {
  for (Reload level : {Reload::none, Reload::lists, Reload::dns, Reload::restart}) {
    if (name == reload_name(level)) return level;
  }
  return std::nullopt;
}

}  // namespace gs
