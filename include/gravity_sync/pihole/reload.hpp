#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/pihole/item.hpp"

namespace gs {

// How much of Pi-hole a change needs reloaded, lightest first.
enum class Reload { none, lists, dns, restart };

// The reload a change to `item` needs on a Pi-hole of major version `major`.
Reload reload_for(Item item, int major);

// The heavier of `a` and `b` (one reload per side applies every change).
Reload heavier(Reload a, Reload b);

// The name of `level` ("none", "lists", "dns", "restart"), and back (nullopt for another).
const char* reload_name(Reload level);
std::optional<Reload> parse_reload(std::string_view name);

// The `pihole` arguments for `level` on major version `major` ({"restartdns", "reload-lists"}).
std::vector<std::string> reload_args(Reload level, int major);

}  // namespace gs
