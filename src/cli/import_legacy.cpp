#include <cstdlib>
#include <iostream>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/legacy/import.hpp"
#include "gravity_sync/util/files.hpp"

extern char** environ;

namespace gs::cli {

namespace {

struct ImportArgs {
  std::string legacy_path = "/etc/gravity-sync/gravity-sync.conf";
  bool force = false;
  bool to_stdout = false;
};

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Json list(const std::vector<std::string>& v) {
  Json j = Json::array();
  for (const auto& s : v) j.push(s);
  return j;
}

int run_import(const ImportArgs& args, const Globals& globals) {
  auto text = read_file(args.legacy_path);
  if (!text) return fail(globals, make_error(ExitCode::usage, "cannot read the Gravity Sync 4.x config: " + text.error().message));
  auto legacy = parse_legacy_config(*text, args.legacy_path, environment());
  if (!legacy) return fail(globals, legacy.error());

  const std::string config_path = resolve_config_path(globals.config_path);
  const std::string known_hosts = dir_name(config_path) + "/known_hosts";
  const std::string yaml = legacy_to_yaml(*legacy, known_hosts);
  Config parsed;
  try {
    parsed = parse_config(yaml, config_path);  // what we write must be what we accept
  } catch (const ConfigError& e) {
    return fail(globals, make_error(ExitCode::usage, std::string("the imported values are not valid: ") + e.what()));
  }
  for (const auto& w : legacy->warnings) spdlog::warn("{}", w);
  if (!legacy->unknown.empty()) {
    std::string names;
    for (const auto& n : legacy->unknown) names += (names.empty() ? "" : ", ") + n;
    spdlog::warn("variables this tool does not know, not carried over: {}", names);
  }
  if (args.to_stdout) {
    std::cout << yaml;
    return 0;
  }

  auto existing = stat_file(config_path);
  if (existing.ok() && existing->exists && !args.force) {
    return fail(globals, make_error(ExitCode::usage, config_path + " already exists; not overwriting it without --force "
                                                                   "(or use --stdout)"));
  }
  if (auto st = make_dirs(dir_name(config_path), 0755); !st) return fail(globals, st.error());
  if (auto st = write_file_atomic(config_path, yaml, 0644); !st) return fail(globals, st.error());

  // Pin the peer's host key that 4.x already trusted (root's known_hosts, as its ssh used).
  const char* home = std::getenv("HOME");
  const std::string user_known = std::string(home && *home ? home : "/root") + "/.ssh/known_hosts";
  int pinned = 0;
  std::string pin_note;
  auto have = stat_file(known_hosts);
  if (have.ok() && have->exists && !args.force) {
    pin_note = known_hosts + " already exists; left as it is";
  } else if (auto source = read_file(user_known)) {
    auto lines = known_host_lines(*source, parsed.remotes.front().host, parsed.remotes.front().port);
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    if (!lines.empty()) {
      if (auto st = write_file_atomic(known_hosts, out, 0644); !st) return fail(globals, st.error());
      pinned = static_cast<int>(lines.size());
      pin_note = "pinned " + std::to_string(pinned) + " host key(s) of " + parsed.remotes.front().host + " from " + user_known;
    } else {
      pin_note = "no key for " + parsed.remotes.front().host + " in " + user_known + "; pin one with `ssh-keyscan -p " +
                 std::to_string(parsed.remotes.front().port) + " " + parsed.remotes.front().host + " >> " + known_hosts +
                 "` after checking its fingerprint";
    }
  } else {
    pin_note = "cannot read " + user_known + "; pin the peer's key in " + known_hosts + " yourself";
  }
  auto key = stat_file(parsed.remotes.front().identity_file);
  const bool key_found = key.ok() && key->exists;

  if (globals.json) {
    Json doc = Json::object();
    doc.set("config", config_path);
    doc.set("known_hosts", known_hosts);
    doc.set("pinned", pinned);
    doc.set("identity_file", parsed.remotes.front().identity_file);
    doc.set("identity_file_exists", key_found);
    doc.set("unknown", list(legacy->unknown));
    doc.set("ignored", list(legacy->ignored));
    doc.set("warnings", list(legacy->warnings));
    print_json(doc);
  } else {
    std::cout << "wrote " << config_path << " from " << args.legacy_path << "\n"
              << "host key: " << pin_note << "\n"
              << "SSH key: " << parsed.remotes.front().identity_file << (key_found ? " (reused)" : " (NOT FOUND: create or copy it)")
              << "\n";
    if (!legacy->ignored.empty()) {
      std::string names;
      for (const auto& n : legacy->ignored) names += (names.empty() ? "" : ", ") + n;
      std::cout << "not needed here: " << names << "\n";
    }
    std::cout << "next: gravity-sync -c " << config_path << " check\n";
  }
  return 0;
}

}  // namespace

std::function<int()> setup_import_legacy(CLI::App& sub, Globals& globals) {
  auto args = std::make_shared<ImportArgs>();
  sub.add_option("PATH", args->legacy_path, "the 4.x config (default /etc/gravity-sync/gravity-sync.conf)");
  sub.add_flag("--force", args->force, "overwrite an existing config and known_hosts");
  sub.add_flag("--stdout", args->to_stdout, "print the YAML instead of writing it");
  return [args, &globals] { return run_import(*args, globals); };
}

}  // namespace gs::cli
