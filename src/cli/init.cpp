#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/cli/systemd_dropin.hpp"
#include "gravity_sync/node/remote_node.hpp"
#include "gravity_sync/ssh/known_hosts.hpp"
#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/process.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs::cli {

namespace {

// A node's keys as given on the command line; unset ones are detected (local) or take
// their default (remote).
struct NodeFlags {
  std::optional<std::string> pihole_dir, dnsmasq_dir, pihole_command, ftl_command, container;
};

struct InitArgs {
  std::string host;
  std::string user = "root";
  int port = 22;
  std::optional<bool> sudo;
  NodeFlags remote, local;
  std::optional<std::string> remote_backup_dir, backup_dir, state_dir;
  bool accept_new_host_key = false;
  bool force = false;
  bool new_key = false;

  // Whether any key of the config was given on the command line.
  bool sets_config() const {
    auto any = [](const NodeFlags& f) {
      return f.pihole_dir || f.dnsmasq_dir || f.pihole_command || f.ftl_command || f.container;
    };
    return !host.empty() || user != "root" || port != 22 || sudo || any(remote) || any(local) || remote_backup_dir ||
           backup_dir || state_dir;
  }
};

bool interactive() { return ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO); }

std::string ask(const std::string& question, const std::string& fallback) {
  std::cerr << question << (fallback.empty() ? "" : " [" + fallback + "]") << ": " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer.empty() ? fallback : answer;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

bool exists(const std::string& path) {
  auto info = stat_file(path);
  return info.ok() && info->exists;
}

// What init found of the Pi-hole on this node, to write as `local:`.
struct Detected {
  PiholeLayout layout;
  std::string summary;  // one line for the admin and the config's comment
};

// Pi-hole's major version from the files in `pihole_dir`: 6 with pihole.toml, 5 with
// setupVars.conf (v5's settings file, which v6 no longer writes), 0 when neither.
int version_in(const std::string& pihole_dir) {
  if (exists(pihole_dir + "/pihole.toml")) return 6;
  if (exists(pihole_dir + "/setupVars.conf")) return 5;
  return 0;
}

// The host paths of container `name`'s /etc/pihole and /etc/dnsmasq.d, as `RUNTIME
// inspect` reports its mounts (docker's and podman's `.Mounts[].Destination/.Source`;
// `println` separates them by a space). Fills what `layout` was not given; says which
// of the two it found.
struct Mounts {
  bool pihole = false, dnsmasq = false;
};

Mounts mounts_of(const std::string& runtime, const std::string& name, PiholeLayout& layout, const NodeFlags& flags) {
  Mounts found;
  auto r = run_process({runtime, "inspect", "--format", "{{range .Mounts}}{{println .Destination .Source}}{{end}}", name},
                       "", Millis(20'000));
  if (!r || r->exit_code != 0) return found;
  std::istringstream lines(r->out);
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string destination = line.substr(0, space), source = line.substr(space + 1);
    if (source.empty() || source.front() != '/') continue;
    if (destination == "/etc/pihole") {
      found.pihole = true;
      if (!flags.pihole_dir) layout.pihole_dir = source;
    }
    if (destination == "/etc/dnsmasq.d") {
      found.dnsmasq = true;
      if (!flags.dnsmasq_dir) layout.dnsmasq_dir = source;
    }
  }
  return found;
}

// Whether the image reference `image` ("pihole/pihole:2025.03.0", "docker.io/pihole/pihole",
// "ghcr.io/pi-hole/pihole@sha256:...") is Pi-hole's official image.
bool pihole_image(std::string image) {
  image = image.substr(0, image.find('@'));
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) image.resize(colon);
  return image == "pihole/pihole" || (image.size() > 14 && image.compare(image.size() - 14, 14, "/pihole/pihole") == 0) ||
         (image.size() > 15 && image.compare(image.size() - 15, 15, "/pi-hole/pihole") == 0);
}

// The running containers of docker and podman made from Pi-hole's image (a container
// merely named like it, a pihole-exporter say, is not one).
std::vector<std::string> pihole_containers() {
  std::vector<std::string> found;
  for (const char* runtime : {"docker", "podman"}) {
    if (find_on_path(runtime).empty()) continue;
    auto r = run_process({runtime, "ps", "--format", "{{.Names}} {{.Image}}"}, "", Millis(20'000));
    if (!r || r->exit_code != 0) continue;
    std::istringstream lines(r->out);
    for (std::string line; std::getline(lines, line);) {
      const auto space = line.find(' ');
      if (space == std::string::npos) continue;
      const std::string name = line.substr(0, space);
      if (pihole_image(line.substr(space + 1)) && printable(name, 200) == name && !name.empty()) {
        found.push_back(std::string(runtime) + ":" + name);
      }
    }
  }
  return found;
}

// The local Pi-hole: what the flags say, the rest found on this node. Pi-hole installed
// here (its directory, version, and its two programs on the PATH), or else the one running
// container of Pi-hole's image (its bind mounts give the directories).
Detected detect_local(const NodeFlags& flags) {
  Detected d;
  PiholeLayout& l = d.layout;
  if (flags.pihole_dir) l.pihole_dir = *flags.pihole_dir;
  if (flags.dnsmasq_dir) l.dnsmasq_dir = *flags.dnsmasq_dir;
  if (flags.pihole_command) l.pihole_command = *flags.pihole_command;
  if (flags.ftl_command) l.ftl_command = *flags.ftl_command;
  if (flags.container) l.container = *flags.container;

  std::string found_in;
  if (l.container.empty() && !flags.pihole_dir && version_in(l.pihole_dir) == 0 &&
      !exists(l.pihole_dir + "/gravity.db")) {
    const auto containers = pihole_containers();
    if (containers.size() == 1) {
      l.container = containers.front();
      found_in = " (found running)";
    } else if (containers.size() > 1) {
      std::string names;
      for (const auto& c : containers) names += (names.empty() ? "" : ", ") + c;
      d.summary = "several Pi-hole containers run here (" + names + "): say which with --local-container";
      return d;
    }
  }
  if (!l.container.empty()) {
    const auto colon = l.container.find(':');
    Mounts m;
    if (colon != std::string::npos) m = mounts_of(l.container.substr(0, colon), l.container.substr(colon + 1), l, flags);
    const int major = version_in(l.pihole_dir);
    d.summary = "Pi-hole " + (major ? "v" + std::to_string(major) : std::string("of unknown version")) +
                " in container " + l.container + found_in;
    if (m.pihole || flags.pihole_dir) {
      d.summary += ", its /etc/pihole at " + l.pihole_dir;
    } else {
      d.summary += "; its /etc/pihole is not bind-mounted from this host: give --local-pihole-dir";
    }
    if (!m.dnsmasq && !flags.dnsmasq_dir && major < 6) {
      d.summary += "; its /etc/dnsmasq.d is not bind-mounted from this host: give --local-dnsmasq-dir";
    }
    return d;
  }
  const int major = version_in(l.pihole_dir);
  if (major == 0 && !exists(l.pihole_dir + "/gravity.db")) {
    d.summary = "no Pi-hole found at " + l.pihole_dir + ", and no Pi-hole container running: give --local-pihole-dir "
                "(or --local-container, docs/CONTAINERS.md)";
    return d;
  }
  // The programs by their full path: the units' PATH need not be the admin's.
  if (!flags.pihole_command) {
    if (auto p = find_on_path("pihole"); !p.empty()) l.pihole_command = p;
  }
  if (!flags.ftl_command) {
    if (auto p = find_on_path("pihole-FTL"); !p.empty()) l.ftl_command = p;
  }
  d.summary = "Pi-hole " + (major ? "v" + std::to_string(major) : std::string("of unknown version")) + " at " +
              l.pihole_dir + " (" + l.pihole_command + ", " + l.ftl_command + ")";
  return d;
}

// A node section's layout keys, indented under `remote:` / `local:`.
std::string layout_yaml(const PiholeLayout& l) {
  return "  pihole_dir: " + yaml_quote(l.pihole_dir) + "\n  dnsmasq_dir: " + yaml_quote(l.dnsmasq_dir) +
         "\n  pihole_command: " + yaml_quote(l.pihole_command) + "\n  ftl_command: " + yaml_quote(l.ftl_command) +
         "\n  container: " + yaml_quote(l.container) + "\n";
}

// On a terminal, each of `layout`'s keys asked for, with its value as the default.
void ask_layout(const char* side, PiholeLayout& l) {
  const std::string s = side;
  l.container = ask("  " + s + ".container (docker:NAME or podman:NAME if Pi-hole runs in one there; - for none)",
                    l.container.empty() ? "-" : l.container);
  if (l.container == "-") l.container.clear();
  l.pihole_dir = ask("  " + s + ".pihole_dir" + (l.container.empty() ? "" : " (host path of /etc/pihole)"), l.pihole_dir);
  l.dnsmasq_dir = ask("  " + s + ".dnsmasq_dir", l.dnsmasq_dir);
  l.pihole_command = ask("  " + s + ".pihole_command", l.pihole_command);
  l.ftl_command = ask("  " + s + ".ftl_command", l.ftl_command);
}

// The values given on the command line become YAML: a control character in one cannot.
Status no_control_chars(const InitArgs& a) {
  std::vector<std::pair<const char*, const std::optional<std::string>*>> values{
      {"--remote-pihole-dir", &a.remote.pihole_dir},       {"--remote-dnsmasq-dir", &a.remote.dnsmasq_dir},
      {"--remote-pihole-command", &a.remote.pihole_command}, {"--remote-ftl-command", &a.remote.ftl_command},
      {"--remote-container", &a.remote.container},         {"--local-pihole-dir", &a.local.pihole_dir},
      {"--local-dnsmasq-dir", &a.local.dnsmasq_dir},       {"--local-pihole-command", &a.local.pihole_command},
      {"--local-ftl-command", &a.local.ftl_command},       {"--local-container", &a.local.container},
      {"--remote-backup-dir", &a.remote_backup_dir},       {"--backup-dir", &a.backup_dir},
      {"--state-dir", &a.state_dir}};
  const std::optional<std::string> host = a.host, user = a.user;
  values.push_back({"--remote-host", &host});
  values.push_back({"--remote-user", &user});
  for (const auto& [flag, value] : values) {
    if (*value && has_control_chars(**value)) {
      return make_error(ExitCode::usage, std::string(flag) + ": the value holds a control character");
    }
  }
  return {};
}

// The config init writes: the connection, both nodes' layouts (the local one as
// detected), and the directories given. Every other key keeps its default.
std::string config_yaml(const InitArgs& args, const PiholeLayout& remote, const Detected& local,
                        const std::string& key, const std::string& known_hosts) {
  const bool sudo = args.sudo.value_or(args.user != "root");
  std::string y = "# gravity-sync configuration written by `gravity-sync init`.\n"
                  "# Every other key has its default; see /usr/share/doc/gravity-sync/examples/gravity-sync.yaml\n"
                  "remote:\n  host: " + yaml_quote(args.host) + "\n  port: " + std::to_string(args.port) +
                  "\n  user: " + yaml_quote(args.user) + "\n  sudo: " + (sudo ? "true" : "false") +
                  (sudo ? "   # needs on the remote: " + sudoers_line(args.user) : std::string()) +
                  "\n  identity_file: " + yaml_quote(key) + "\n  known_hosts: " + yaml_quote(known_hosts) + "\n" +
                  layout_yaml(remote);
  if (args.remote_backup_dir) y += "  backup_dir: " + yaml_quote(*args.remote_backup_dir) + "\n";
  y += "local:   # found by init: " + local.summary + "\n" + layout_yaml(local.layout);
  if (args.backup_dir) y += "backup:\n  dir: " + yaml_quote(*args.backup_dir) + "\n";
  if (args.state_dir) y += "state_dir: " + yaml_quote(*args.state_dir) + "\n";
  return y;
}

// How to let this node's key in on a stock Pi-hole, whose sshd refuses root's password
// (Debian's and Raspberry Pi OS's PermitRootLogin prohibit-password) but takes root's key.
// The user name and host are the config's, which holds them to safe characters (config.cpp);
// the key line is quoted.
void print_key_steps(const RemoteConfig& r) {
  auto pub = read_file(r.identity_file + ".pub", 16 << 10);
  const std::string line = pub ? pub->substr(0, pub->find('\n')) : "";
  std::cout << "\nThe key is not installed on " << r.host << " yet. On " << r.host << ", as an admin, run:\n\n";
  if (r.user == "root") {
    std::cout << "  sudo install -d -m 700 /root/.ssh && echo " << shell_word(line)
              << " | sudo tee -a /root/.ssh/authorized_keys >/dev/null\n";
  } else {
    const std::string home = "~" + r.user;
    std::cout << "  id " << r.user << " || sudo adduser --disabled-password --gecos '' " << r.user << "\n"
              << "  sudo install -d -m 700 -o " << r.user << " " << home << "/.ssh && echo " << shell_word(line)
              << " | sudo tee -a " << home << "/.ssh/authorized_keys >/dev/null && sudo chown " << r.user << " " << home
              << "/.ssh/authorized_keys\n"
              // Installed only once visudo has checked it (a broken sudoers file breaks sudo).
              << "  f=$(mktemp) && echo " << shell_word(sudoers_line(r.user))
              << " > \"$f\" && sudo visudo -cqf \"$f\" && sudo install -m 0440 -o root -g root \"$f\" "
                 "/etc/sudoers.d/gravity-sync; rm -f \"$f\"\n";
  }
  std::cout << "\n(or, where " << r.user << "@" << r.host << " may log in with a password: ssh-copy-id -i "
            << shell_word(r.identity_file + ".pub") << " -p " << r.port << " " << r.user << "@" << r.host
            << ")\nThen run `gravity-sync init` again.\n";
}

int run_init(InitArgs args, Globals& globals) {
  if (globals.json) {
    return fail(globals, make_error(ExitCode::usage, "init talks to a person and prints no JSON document; run it "
                                                     "without --json (`gravity-sync --json check` reports the result)"));
  }
  if (auto st = no_control_chars(args); !st) return fail(globals, st.error());
  const std::string config_path = resolve_config_path(globals.config_path);
  const std::string dir = dir_name(config_path);
  if (auto st = make_dirs(dir, 0755); !st) return fail(globals, st.error());
  const std::string key = dir + "/id_ed25519";
  const std::string known_hosts = dir + "/known_hosts";

  // 1. The config: written from the flags, what was found here (and answers), kept if it exists.
  auto existing = stat_file(config_path);
  if (existing.ok() && existing->exists && !args.force) {
    std::cout << "config: keeping " << config_path << " (--force writes it again from the flags)\n";
    if (args.sets_config()) {
      std::cout << "config: the flags given are NOT applied to the kept config; add --force to write it from them "
                   "(the key is kept)\n";
    }
  } else {
    Detected local = detect_local(args.local);
    std::cout << "local: " << local.summary << "\n";
    PiholeLayout remote;
    const NodeFlags& rf = args.remote;
    if (rf.pihole_dir) remote.pihole_dir = *rf.pihole_dir;
    if (rf.dnsmasq_dir) remote.dnsmasq_dir = *rf.dnsmasq_dir;
    if (rf.pihole_command) remote.pihole_command = *rf.pihole_command;
    if (rf.ftl_command) remote.ftl_command = *rf.ftl_command;
    if (rf.container) remote.container = *rf.container;
    if (interactive()) {
      std::cout << std::flush;
      std::cerr << "Press Enter to keep a value in [brackets].\n";
      args.host = ask("The other Pi-hole's address (remote.host)", args.host);
      args.user = ask("SSH user there (remote.user: root, or a user with sudo)", args.user);
      args.port = std::atoi(ask("SSH port there (remote.port)", std::to_string(args.port)).c_str());
      std::cerr << "Pi-hole on the other node:\n";
      ask_layout("remote", remote);
      std::cerr << "Pi-hole on this node (" << local.summary << "):\n";
      ask_layout("local", local.layout);
      // What the answers name, described again (the config's comment says what is there).
      const PiholeLayout& l = local.layout;
      local = detect_local(NodeFlags{l.pihole_dir, l.dnsmasq_dir, l.pihole_command, l.ftl_command, l.container});
    }
    if (args.host.empty()) {
      return fail(globals, make_error(ExitCode::usage, "--remote-host is required (or run init on a terminal to be asked)"));
    }
    const std::string yaml = config_yaml(args, remote, local, key, known_hosts);
    try {
      parse_config(yaml, config_path);
    } catch (const ConfigError& e) {
      // The config is not written: the message names the key (each has its flag, --help).
      std::string why = e.what();
      const auto at = why.find(": ", why.find(':', config_path.size()) + 1);
      why = at == std::string::npos ? why : why.substr(at + 2);
      return fail(globals, make_error(ExitCode::usage, "not writing " + config_path + ": " + why));
    }
    if (auto st = write_file_atomic(config_path, yaml, 0644); !st) return fail(globals, st.error());
    std::cout << "config: wrote " << config_path << "\n";
  }
  Config config = load_config_for(globals);
  if (config.remotes.size() != 1) {
    return fail(globals, make_error(ExitCode::usage, config_path + " lists " + std::to_string(config.remotes.size()) +
                                                         " peers under remotes:; init sets up one peer: set up each "
                                                         "with its own -c config, or edit remotes: and run check"));
  }
  const RemoteConfig& peer = config.remotes.front();

  // 2. The key: generated once; replaced only on --new-key (the other node must then be
  // given the new one), the old one kept beside it as .old.
  auto have_key = stat_file(peer.identity_file);
  if (have_key.ok() && have_key->exists && !args.new_key) {
    std::cout << "key: keeping " << peer.identity_file << " (--new-key makes a new one)\n";
  } else {
    if (have_key.ok() && have_key->exists) {
      for (const char* suffix : {"", ".pub"}) {
        const std::string from = peer.identity_file + suffix;
        if (::rename(from.c_str(), (from + ".old").c_str()) != 0 && errno != ENOENT) {
          return fail(globals, make_error(ExitCode::failure, "cannot keep the old key as " + from + ".old: " +
                                                                 std::strerror(errno)));
        }
      }
      std::cout << "key: the old key is kept as " << peer.identity_file << ".old\n";
    }
    if (auto st = generate_ed25519_key(peer.identity_file, "gravity-sync@" + hostname()); !st) {
      return fail(globals, st.error());
    }
    std::cout << "key: created " << peer.identity_file << " (ed25519)\n";
  }

  // 3. The units read the default config: let them write where it says (docs/DAEMON.md).
  if (is_default_config(config.path)) {
    auto done = update_paths_dropins(config, "/etc/systemd/system");
    if (!done) return fail(globals, done.error());
    if (!done->empty()) std::cout << *done << "  (run `systemctl daemon-reload` if gravity-sync's units are running)\n";
  }

  // 4. Connect; a host key never seen is shown and pinned only when the admin says so.
  SshOptions options = ssh_options(peer);
  // The admin's word on a key just shown: the flag, or a typed yes on a terminal. `done`
  // ("pinned", "replaced") says what trusting it does, `question` asks for it. Whether the
  // write then worked is the connection's outcome ("ssh: logged in", or the error).
  auto trusted = [&](const std::string& done, const std::string& question) {
    const std::string doing = done == "pinned" ? "pinning it" : "replacing the old key";
    if (args.accept_new_host_key) {
      std::cout << "  " << doing << " in " << peer.known_hosts << " (--accept-new-host-key)\n";
      return true;
    }
    if (!interactive()) {
      std::cout << "  not " << done << ": type yes on a terminal, or pass --accept-new-host-key\n";
      return false;
    }
    std::cout << std::flush;
    const bool yes = ask("  " + question + " Type yes to trust it", "") == "yes";
    std::cout << (yes ? "  " + doing + " in " + peer.known_hosts + "\n" : "  not " + done + "\n");
    return yes;
  };
  options.confirm_new_host_key = [&](const std::string& type, const std::string& fingerprint) {
    std::cout << "host key: " << peer.host << " offers " << type << " " << fingerprint << "\n"
              << "  compare it with `ssh-keygen -lf /etc/ssh/ssh_host_" << (type == "ssh-rsa" ? "rsa" : type == "ssh-ed25519" ? "ed25519" : "ecdsa")
              << "_key.pub` run on that host.\n";
    return trusted("pinned", "Pin this key?");
  };
  // A changed key (the other node reinstalled): both shown, replaced only when the admin
  // says so, as for a new one (docs/OPERATIONS.md, exit 4).
  options.confirm_changed_host_key = [&](const std::string& type, const std::string& fingerprint,
                                         const std::vector<KnownKey>& known) {
    std::cout << "host key: " << peer.host << " now offers " << type << " " << fingerprint << "\n";
    for (const auto& k : known) {
      std::cout << "  " << peer.known_hosts << " holds " << k.type << " "
                << (k.fingerprint.empty() ? "(unreadable)" : k.fingerprint) << "\n";
    }
    std::cout << "  If the other node was reinstalled, compare the new key with `ssh-keygen -lf "
                 "/etc/ssh/ssh_host_ed25519_key.pub` run there; otherwise something may be in the middle.\n";
    return trusted("replaced", "Replace the old key with this one?");
  };
  auto session = SshSession::connect(options);
  if (!session) {
    if (session.error().kind == ErrorKind::authentication) {
      std::cout << "host key: " << known_hosts_name(peer.host, peer.port) << " is trusted\n";
      print_key_steps(peer);
    }
    return fail(globals, session.error());
  }
  std::cout << "ssh: logged in to " << session->peer() << " with " << peer.identity_file << "\n\n";

  // 5. The same check as `gravity-sync check`: each problem names the key to set.
  return run_check(globals);
}

}  // namespace

std::function<int()> setup_init(CLI::App& sub, Globals& globals) {
  auto args = std::make_shared<InitArgs>();
  sub.add_option("--remote-host", args->host, "the other Pi-hole (asked for on a terminal when missing)");
  sub.add_option("--remote-user", args->user, "SSH user there (default root)");
  sub.add_option("--remote-port", args->port, "SSH port there (default 22)")->check(CLI::Range(1, 65535));
  sub.add_option("--remote-sudo", args->sudo, "run remote commands with sudo -n (default: true unless the user is root)");
  auto node = [&](const std::string& side, NodeFlags& f) {
    const std::string there = side == "local" ? "here" : "there";
    sub.add_option("--" + side + "-pihole-dir", f.pihole_dir, side + ".pihole_dir: Pi-hole's directory " + there);
    sub.add_option("--" + side + "-dnsmasq-dir", f.dnsmasq_dir, side + ".dnsmasq_dir: dnsmasq's directory " + there);
    sub.add_option("--" + side + "-pihole-command", f.pihole_command, side + ".pihole_command: the pihole CLI " + there);
    sub.add_option("--" + side + "-ftl-command", f.ftl_command, side + ".ftl_command: pihole-FTL " + there);
    sub.add_option("--" + side + "-container", f.container, side + ".container: docker:NAME or podman:NAME");
  };
  node("remote", args->remote);
  node("local", args->local);
  sub.add_option("--remote-backup-dir", args->remote_backup_dir, "remote.backup_dir: where the other node keeps backups");
  sub.add_option("--backup-dir", args->backup_dir, "backup.dir: where this node keeps backups");
  sub.add_option("--state-dir", args->state_dir, "state_dir: this node's state, lock and staging area");
  sub.add_flag("--accept-new-host-key", args->accept_new_host_key,
               "pin the remote's host key without asking, replacing a changed one (both are shown)");
  sub.add_flag("--force", args->force, "write an existing config again from the flags (the key is kept)");
  sub.add_flag("--new-key", args->new_key, "make a new key, keeping the old one as .old");
  return [args, &globals] { return run_init(*args, globals); };
}

}  // namespace gs::cli
