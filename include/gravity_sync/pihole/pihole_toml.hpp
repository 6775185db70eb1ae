#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/pihole/ftl_keys.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// The largest pihole.toml we read (FTL's own is about 60 KB; each record adds a line).
inline constexpr size_t kMaxPiholeToml = 16 << 20;

// pihole.toml, the configuration Pi-hole v6's FTL keeps and rewrites in full on every
// change, parsed with toml++ (Debian's libtomlplusplus). gravity-sync only reads it: every
// write goes through `pihole-FTL --config KEY VALUE`. Reading the file rather than what
// `pihole-FTL --config KEY` prints is what makes values unambiguous: FTL prints string
// arrays without quotes ("[ a, b ]"), so an entry holding ", " cannot be told apart there
// (measured on FTL v6.4.1, ../shared/pihole-real/README.md), while the file holds each
// entry as a TOML string, JSON-escaped by FTL (config/toml_helper.c printTOMLstring).
class PiholeToml {
 public:
  // Parse `text`. ExitCode::refused, naming the line and the parser's reason, when it is
  // not TOML 1.0 (then FTL cannot read it either) or larger than kMaxPiholeToml.
  static Result<PiholeToml> parse(std::string_view text);

  // The string array at the dotted `key` ("dns.hosts") as FTL reads it
  // (config/toml_helper.c readTOMLvalue): absent means FTL's default, the empty array;
  // empty strings are skipped. ExitCode::refused naming the key when the value is not an
  // array of strings.
  Result<std::vector<std::string>> string_array(std::string_view key) const;

  // The string at the dotted `key`, or `fallback` when it is absent or not a string.
  std::string string_or(std::string_view key, std::string_view fallback) const;

  // The canonical form (pihole/settings.hpp) of the value at `key`, or nullopt when the
  // file does not hold it. ExitCode::refused naming the key when the value is not of the
  // key's type as FTL writes it (a boolean, an integer, a string, an array of strings).
  Result<std::optional<std::string>> setting(const FtlKey& key) const;

  // Whether FTL marked the value at `key` as set by its FTLCONF_ environment variable: FTL
  // writes `KEY = VALUE ### CHANGED (env), default = ...` then (FTL v6.4.1,
  // src/config/toml_writer.c), and the key is read-only to `pihole-FTL --config` (exit 5).
  bool set_by_env(std::string_view key) const;

  // Whether the value at `key` is FTL's default: FTL marks every other value it writes
  // `### CHANGED, default = ...` (src/config/toml_writer.c). False when absent.
  bool at_default(std::string_view key) const;

 private:
  // What follows the value at `key` on the line where it ends, blanks skipped (where FTL
  // writes its mark), or empty.
  std::string_view mark_after(std::string_view key) const;

  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace gs
