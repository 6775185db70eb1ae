#include "gravity_sync/cli/systemd_dropin.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "gravity_sync/util/files.hpp"

namespace gs::cli {

namespace {

constexpr const char* kUnits[] = {"gravity-sync.service", "gravity-sync-oneshot.service"};

bool covered(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

// `path` as systemd compares it: `.`, `..` and repeated slashes resolved, no trailing slash.
std::string normal(const std::string& path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

const std::vector<std::string>& unit_writable_paths() {
  // Keep in step with ReadWritePaths= in systemd/gravity-sync*.service.in.
  static const std::vector<std::string> paths{"/etc/pihole", "/etc/dnsmasq.d", "/var/lib/gravity-sync", "/run"};
  return paths;
}

std::vector<std::string> extra_writable_paths(const Config& config) {
  std::vector<std::string> wanted{config.local.pihole_dir, config.local.dnsmasq_dir, config.backup_dir,
                                  config.state_dir};
  if (!config.metrics_textfile.empty()) wanted.push_back(dir_name(config.metrics_textfile));
  std::vector<std::string> extra;
  for (auto& path : wanted) {
    path = normal(path);
    const auto& base = unit_writable_paths();
    if (std::any_of(base.begin(), base.end(), [&](const std::string& dir) { return covered(path, dir); })) continue;
    if (std::any_of(extra.begin(), extra.end(), [&](const std::string& dir) { return covered(path, dir); })) continue;
    extra.push_back(path);
  }
  return extra;
}

Result<std::string> render_paths_dropin(const std::vector<std::string>& paths, const std::string& config_path) {
  std::string line = "ReadWritePaths=";
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    if (path == "/") {
      return make_error(ExitCode::usage, "the config has this node write in / itself (metrics.textfile, backup.dir or "
                                         "state_dir); ReadWritePaths=/ would lift the unit's protection of the whole "
                                         "system: give it a directory of its own");
    }
    std::string word = "\"-";
    for (char c : path) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return make_error(ExitCode::usage, "the path \"" + path +
                                               "\" holds a control character, which no systemd unit line can carry");
      }
      if (c == '"' || c == '\\') word += '\\';
      if (c == '%') word += '%';
      word += c;
    }
    line += (i == 0 ? "" : " ") + word + "\"";
  }
  return "# Written by `gravity-sync init` from " + config_path +
         ": the directories that config has\n"
         "# this node write beyond the unit's own ReadWritePaths=. Run `gravity-sync init` again after\n"
         "# changing them. Removed by `apt purge gravity-sync`.\n"
         "[Service]\n" +
         line + "\n";
}

bool is_default_config(const std::string& path) { return normal(path) == kDefaultConfigPath; }

std::string paths_dropin_file(const std::string& unit_dir, const std::string& unit) {
  return unit_dir + "/" + unit + ".d/gravity-sync-paths.conf";
}

Result<std::string> update_paths_dropins(const Config& config, const std::string& unit_dir) {
  auto dir = stat_file(unit_dir);
  if (!dir) return dir.error();
  if (!dir->exists) return std::string();
  const auto paths = extra_writable_paths(config);
  std::string text;
  if (!paths.empty()) {
    auto rendered = render_paths_dropin(paths, config.path);
    if (!rendered) return rendered.error();
    text = *rendered;
  }
  std::string done;
  for (const char* unit : kUnits) {
    const std::string file = paths_dropin_file(unit_dir, unit);
    auto old = read_file(file, 1 << 16, Follow::no);
    if (paths.empty()) {
      if (!old) continue;  // none to remove
      if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
        return make_error(ExitCode::failure, "cannot remove " + file + ": " + std::strerror(errno));
      }
      ::rmdir(dir_name(file).c_str());  // when empty
      done += "systemd: removed " + file + " (the config's paths are all in the unit's own)\n";
      continue;
    }
    if (old && *old == text) continue;
    if (auto st = make_dirs(dir_name(file), 0755); !st) return st.error();
    if (auto st = write_file_atomic(file, text, 0644); !st) return st.error();
    done += "systemd: wrote " + file + " (ReadWritePaths=";
    for (size_t i = 0; i < paths.size(); ++i) done += (i ? " " : "") + paths[i];
    done += ")\n";
  }
  return done;
}

}  // namespace gs::cli
