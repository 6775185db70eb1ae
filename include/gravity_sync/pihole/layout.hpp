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
  std::string container;  // "docker:NAME" / "podman:NAME", or empty; pihole_dir and
                          // dnsmasq_dir are then the host paths of its bind mounts of
                          // /etc/pihole and /etc/dnsmasq.d

  // The file that holds `item` on a Pi-hole v5 node.
  std::string item_path(Item item) const;

  // The file whose size and mtime move when `item` changes on a node of Pi-hole `major`
  // (v6 keeps the text items in pihole.toml).
  std::string watch_path(Item item, int major) const;

  // pihole.toml, whose presence marks Pi-hole v6.
  std::string toml_path() const { return pihole_dir + "/pihole.toml"; }

  // The argv prefix that runs a Pi-hole program there ({"docker", "exec", "-i", "NAME"} or {}).
  std::vector<std::string> container_prefix() const;

  // The argv of `pihole ARGS...` / `pihole-FTL ARGS...` there, through the container if any.
  std::vector<std::string> pihole_argv(const std::vector<std::string>& args = {}) const;
  std::vector<std::string> ftl_argv(const std::vector<std::string>& args = {}) const;

  // The argv of `pihole-FTL --config KEY VALUE` there: pihole-FTL in the C locale
  // (`env LC_ALL=C`), as FTL runs as a service. For a key that goes into dnsmasq's
  // configuration, --config tests the configuration it would write, and that test reads
  // names the way the calling process's locale does: from a UTF-8 shell it passed a
  // host-record with a non-ASCII name that the running FTL (C locale) then refused at its
  // restart, leaving DNS unanswered (FTL v6.4.1, found by an attack).
  std::vector<std::string> ftl_config_argv(const std::vector<std::string>& args = {}) const;
};

}  // namespace gs
