#pragma once

#include <map>
#include <string>
#include <vector>

#include "gravity_sync/util/error.hpp"

namespace gs {

// The variables of a Gravity Sync 4.x gravity-sync.conf, read as data: `NAME=value`,
// `NAME='value'` or `NAME="value"` lines, comments and blank lines. Nothing is sourced,
// expanded or executed. Variables missing from the file are taken from `environment`
// (4.x allowed that). ExitCode::usage when the text has a line that is none of these.
struct LegacyConfig {
  std::map<std::string, std::string> values;  // every variable found
  std::vector<std::string> unknown;           // names we do not know, in file order
  std::vector<std::string> ignored;           // known names that have no equivalent here
  std::vector<std::string> warnings;          // things the admin must look at
};
Result<LegacyConfig> parse_legacy_config(const std::string& text, const std::string& path,
                                         const std::map<std::string, std::string>& environment);

// The YAML of this tool for `legacy`, with comments saying where each value came from.
// `known_hosts` is the known_hosts path the YAML should name.
std::string legacy_to_yaml(const LegacyConfig& legacy, const std::string& known_hosts);

// The lines of the known_hosts text `text` that name `host` on `port` (plain, [host]:port
// or hashed |1|salt|hash entries), for pinning the peer 4.x already trusted.
std::vector<std::string> known_host_lines(const std::string& text, const std::string& host, int port);

}  // namespace gs
