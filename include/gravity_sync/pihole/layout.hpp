#pragma once

#include <string>
#include <vector>

#include "gravity_sync/pihole/item.hpp"

namespace gs {

// Where Pi-hole lives on one node and how to reach its programs.
struct PiholeLayout {
  std::string pihole_dir = "/etc/pihole";
  std::string dnsmasq_dir = "/etc/dnsmasq.d";
  std::string pihole_command = "pihole";
  std::string ftl_command = "pihole-FTL";
  std::string container;  // "docker:NAME" / "podman:NAME", or empty

  // The file that holds `item` on a Pi-hole v5 node.
  std::string item_path(Item item) const;

  // The argv prefix that runs a Pi-hole program there ({"docker", "exec", "NAME"} or {}).
  std::vector<std::string> container_prefix() const;
};

}  // namespace gs
