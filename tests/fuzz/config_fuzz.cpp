// Fuzz target: the YAML configuration loader (config/), fed bytes as a config file's content.
//
// Input: the content of a gravity-sync.yaml.
//
// For every input: parse_config returns a Config or throws ConfigError, and nothing else
// escapes (no yaml-cpp exception, no std::exception of another kind, no crash or deep
// recursion); a ConfigError's text starts with "FILE:LINE: " as CONTRACT.md promises. A
// Config it returns has a remote host, absolute paths, values without control
// characters, a port in 1-65535 and positive durations.

#include "fuzz_support.hpp"
#include "gravity_sync/config/config.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs::fuzz {
namespace {

constexpr const char* kPath = "fuzz.yaml";

// "fuzz.yaml:LINE: ..." with LINE a number.
void check_error(const std::string& message) {
  const std::string prefix = std::string(kPath) + ":";
  require(message.rfind(prefix, 0) == 0, "a ConfigError names the file", message);
  size_t i = prefix.size();
  const size_t digits = i;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') ++i;
  require(i > digits && message.compare(i, 2, ": ") == 0, "a ConfigError names the line", message);
}

void check_path(const std::string& path) {
  require(!path.empty() && path.front() == '/' && !has_control_chars(path), "a configured path is absolute", path);
}

void check_config(const Config& cfg) {
  require(!cfg.remotes.empty(), "a config has a peer");
  for (const auto& remote : cfg.remotes) {
    require(!remote.host.empty() && !has_control_chars(remote.host), "remote.host is set", remote.host);
    require(!remote.name.empty() && !has_control_chars(remote.name), "every peer has a name", remote.name);
    require(remote.port >= 1 && remote.port <= 65535, "remote.port is a port");
    for (const auto* p : {&remote.identity_file, &remote.known_hosts, &remote.backup_dir, &remote.layout.pihole_dir,
                          &remote.layout.dnsmasq_dir}) {
      check_path(*p);
    }
    for (const auto* s : {&remote.user, &remote.layout.pihole_command, &remote.layout.ftl_command}) {
      require(!has_control_chars(*s), "a configured value holds no control character", *s);
    }
    require(remote.connect_timeout.count() > 0, "durations are positive");
  }
  for (const auto* p : {&cfg.local.pihole_dir, &cfg.local.dnsmasq_dir, &cfg.backup_dir, &cfg.state_dir}) check_path(*p);
  for (const auto* s : {&cfg.hooks.on_success, &cfg.hooks.on_failure, &cfg.metrics_textfile, &cfg.log_level}) {
    require(!has_control_chars(*s), "a configured value holds no control character", *s);
  }
  require(cfg.sync.interval.count() > 0 && cfg.hooks.timeout.count() > 0, "durations are positive");
  require(cfg.backup_keep >= 1, "backup.keep is at least 1");
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  try {
    check_config(parse_config(std::string(as_text(data, size)), kPath));
  } catch (const ConfigError& e) {
    check_error(e.what());
  }
  return 0;
}
