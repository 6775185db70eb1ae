#include "gravity_sync/pihole/layout.hpp"

namespace gs {

std::string PiholeLayout::item_path(Item item) const {
  switch (item.kind()) {
    case Item::Kind::gravity: return pihole_dir + "/gravity.db";
    case Item::Kind::custom_dns: return pihole_dir + "/custom.list";
    case Item::Kind::cname: return dnsmasq_dir + "/05-pihole-custom-cname.conf";
    case Item::Kind::static_dhcp: return dnsmasq_dir + "/04-pihole-static-dhcp.conf";
    case Item::Kind::settings: return toml_path();  // v6 only
  }
  return "";
}

namespace {

std::vector<std::string> with(std::vector<std::string> argv, const std::string& program,
                              const std::vector<std::string>& args) {
  argv.push_back(program);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::vector<std::string> PiholeLayout::pihole_argv(const std::vector<std::string>& args) const {
  return with(container_prefix(), pihole_command, args);
}

std::vector<std::string> PiholeLayout::ftl_argv(const std::vector<std::string>& args) const {
  return with(container_prefix(), ftl_command, args);
}

std::vector<std::string> PiholeLayout::ftl_config_argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = container_prefix();
  argv.insert(argv.end(), {"env", "LC_ALL=C", ftl_command, "--config"});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string PiholeLayout::watch_path(Item item, int major) const {
  return major >= 6 && item != Item::gravity ? toml_path() : item_path(item);
}

std::vector<std::string> PiholeLayout::container_prefix() const {
  if (container.empty()) return {};
  const auto colon = container.find(':');
  // -i: scripts pipe SQL into `pihole-FTL sqlite3` there.
  return {container.substr(0, colon), "exec", "-i", container.substr(colon + 1)};
}

}  // namespace gs
