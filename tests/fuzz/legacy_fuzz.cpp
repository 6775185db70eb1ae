// Fuzz target: the import of a Gravity Sync 4.x configuration (legacy/, behind
// `gravity-sync import-legacy`): gravity-sync.conf read as data, the YAML made from it,
// and the known_hosts lines of the peer 4.x trusted.
//
// Input: the text of a gravity-sync.conf; after a NUL byte, if any, the text of a
// known_hosts file.
//
// For every input, nothing crashes or throws, and:
//   - parse_legacy_config returns variables or a usage error naming the file;
//   - for variables it returns, legacy_to_yaml gives YAML that parse_config refuses with a
//     ConfigError or accepts with the very host and user that were read (no value can
//     change another key of the YAML);
//   - known_host_lines returns only whole lines of the known_hosts text.

#include "fuzz_support.hpp"
#include "gravity_sync/config/config.hpp"
#include "gravity_sync/legacy/import.hpp"

namespace gs::fuzz {
namespace {

constexpr const char* kLegacyPath = "gravity-sync.conf";

std::string value_or(const LegacyConfig& legacy, const std::string& name, const std::string& fallback) {
  const auto it = legacy.values.find(name);
  return it == legacy.values.end() || it->second.empty() ? fallback : it->second;
}

// The YAML of the import says what the 4.x file said, or is refused as a whole.
void check_yaml(const LegacyConfig& legacy) {
  const std::string yaml = legacy_to_yaml(legacy, "/etc/gravity-sync/known_hosts");
  try {
    const Config cfg = parse_config(yaml, "gravity-sync.yaml");
    require(cfg.remotes.at(0).host == value_or(legacy, "REMOTE_HOST", ""), "the imported host is REMOTE_HOST", yaml);
    require(cfg.remotes.at(0).user == value_or(legacy, "REMOTE_USER", "root"), "the imported user is REMOTE_USER", yaml);
  } catch (const ConfigError&) {
    // import-legacy reports it: "the imported values are not valid".
  }
}

// known_host_lines picks lines of `text`, and nothing else.
void check_known_hosts(std::string_view text, const std::string& host, int port) {
  const std::string known(text);
  for (const auto& line : known_host_lines(known, host, port)) {
    require(!line.empty() && line.find('\n') == std::string::npos && known.find(line) != std::string::npos,
            "known_host_lines returns lines of the text", line);
  }
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  const auto [conf, known_hosts] = split_at_nul(as_text(data, size));
  const auto legacy = parse_legacy_config(std::string(conf), kLegacyPath, {});
  std::string host = "192.168.1.10";
  if (legacy) {
    check_yaml(legacy.value());
    host = value_or(legacy.value(), "REMOTE_HOST", host);
  } else {
    require(legacy.error().code == ExitCode::usage, "a 4.x config is refused as a usage error", legacy.error().message);
    require(legacy.error().message.rfind(kLegacyPath, 0) == 0, "the refusal names the file", legacy.error().message);
  }
  for (int port : {22, 2222}) check_known_hosts(known_hosts, host, port);
  return 0;
}
