#include <iostream>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/node/remote_node.hpp"
#include "gravity_sync/util/files.hpp"

namespace gs::cli {

namespace {

struct InitArgs {
  std::string host;
  std::string user = "root";
  int port = 22;
  bool accept_new_host_key = false;
  bool force = false;
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

int run_init(InitArgs args, Globals& globals) {
  const std::string config_path = resolve_config_path(globals.config_path);
  const std::string dir = dir_name(config_path);
  if (auto st = make_dirs(dir, 0755); !st) return fail(globals, st.error());
  const std::string key = dir + "/id_ed25519";
  const std::string known_hosts = dir + "/known_hosts";

  // 1. The config: written from the flags (or answers), kept if it exists.
  auto existing = stat_file(config_path);
  if (existing.ok() && existing->exists && !args.force) {
    std::cout << "config: keeping " << config_path << " (--force replaces it)\n";
  } else {
    if (args.host.empty() && interactive()) {
      args.host = ask("The other Pi-hole's address (remote.host)", "");
      args.user = ask("SSH user there (root, or a user with sudo)", args.user);
      args.port = std::atoi(ask("SSH port", std::to_string(args.port)).c_str());
    }
    if (args.host.empty()) {
      return fail(globals, make_error(ExitCode::usage, "--remote-host is required (or run init on a terminal to be asked)"));
    }
    const std::string yaml = "# gravity-sync configuration written by `gravity-sync init`.\n"
                             "# Every other key has its default; see /usr/share/doc/gravity-sync/examples/gravity-sync.yaml\n"
                             "remote:\n  host: " + yaml_quote(args.host) + "\n  port: " + std::to_string(args.port) +
                             "\n  user: " + yaml_quote(args.user) +
                             (args.user == "root" ? std::string()
                                                  : "\n  sudo: true   # needs on the remote: " + sudoers_line(args.user)) +
                             "\n  identity_file: " + yaml_quote(key) +
                             "\n  known_hosts: " + yaml_quote(known_hosts) + "\n";
    try {
      parse_config(yaml, config_path);
    } catch (const ConfigError& e) {
      return fail(globals, make_error(ExitCode::usage, e.what()));
    }
    if (auto st = write_file_atomic(config_path, yaml, 0644); !st) return fail(globals, st.error());
    std::cout << "config: wrote " << config_path << "\n";
  }
  Config config = load_config_for(globals);

  // 2. The key: generated once, never overwritten without --force.
  auto have_key = stat_file(config.remote.identity_file);
  if (have_key.ok() && have_key->exists && !args.force) {
    std::cout << "key: keeping " << config.remote.identity_file << "\n";
  } else {
    ::unlink(config.remote.identity_file.c_str());
    if (auto st = generate_ed25519_key(config.remote.identity_file, "gravity-sync@" + hostname()); !st) {
      return fail(globals, st.error());
    }
    std::cout << "key: created " << config.remote.identity_file << " (ed25519)\n";
  }

  // 3. Connect; a host key never seen is shown and pinned only when the admin says so.
  SshOptions options = ssh_options(config);
  // The admin's word on a key just shown: the flag, or a typed yes on a terminal. `done`
  // ("pinned", "replaced") says what trusting it does, `question` asks for it.
  auto trusted = [&](const std::string& done, const std::string& question) {
    if (args.accept_new_host_key) {
      std::cout << "  " << done << " in " << config.remote.known_hosts << " (--accept-new-host-key)\n";
      return true;
    }
    if (!interactive()) {
      std::cout << "  not " << done << ": type yes on a terminal, or pass --accept-new-host-key\n";
      return false;
    }
    std::cout << std::flush;
    const bool yes = ask("  " + question + " Type yes to trust it", "") == "yes";
    std::cout << (yes ? "  " + done + " in " + config.remote.known_hosts + "\n" : "  not " + done + "\n");
    return yes;
  };
  options.confirm_new_host_key = [&](const std::string& type, const std::string& fingerprint) {
    std::cout << "host key: " << config.remote.host << " offers " << type << " " << fingerprint << "\n"
              << "  compare it with `ssh-keygen -lf /etc/ssh/ssh_host_" << (type == "ssh-rsa" ? "rsa" : type == "ssh-ed25519" ? "ed25519" : "ecdsa")
              << "_key.pub` run on that host.\n";
    return trusted("pinned", "Pin this key?");
  };
  // A changed key (the other node reinstalled): both shown, replaced only when the admin
  // says so, as for a new one (docs/OPERATIONS.md, exit 4).
  options.confirm_changed_host_key = [&](const std::string& type, const std::string& fingerprint,
                                         const std::vector<KnownKey>& known) {
    std::cout << "host key: " << config.remote.host << " now offers " << type << " " << fingerprint << "\n";
    for (const auto& k : known) {
      std::cout << "  " << config.remote.known_hosts << " holds " << k.type << " "
                << (k.fingerprint.empty() ? "(unreadable)" : k.fingerprint) << "\n";
    }
    std::cout << "  If the other node was reinstalled, compare the new key with `ssh-keygen -lf "
                 "/etc/ssh/ssh_host_ed25519_key.pub` run there; otherwise something may be in the middle.\n";
    return trusted("replaced", "Replace the old key with this one?");
  };
  auto session = SshSession::connect(options);
  if (!session) {
    if (session.error().kind == ErrorKind::authentication) {
      std::cout << "\nThe key is not installed on " << config.remote.host << " yet. " << key_install_advice(options)
                << " Then run init again.\n";
    }
    return fail(globals, session.error());
  }
  std::cout << "ssh: logged in to " << session->peer() << " with " << config.remote.identity_file << "\n\n";

  // 4. The same check as `gravity-sync check`.
  return run_check(globals);
}

}  // namespace

std::function<int()> setup_init(CLI::App& sub, Globals& globals) {
  auto args = std::make_shared<InitArgs>();
  sub.add_option("--remote-host", args->host, "the other Pi-hole (asked for on a terminal when missing)");
  sub.add_option("--remote-user", args->user, "SSH user there (default root)");
  sub.add_option("--remote-port", args->port, "SSH port there (default 22)")->check(CLI::Range(1, 65535));
  sub.add_flag("--accept-new-host-key", args->accept_new_host_key,
               "pin the remote's host key without asking, replacing a changed one (both are shown)");
  sub.add_flag("--force", args->force, "replace an existing config and key");
  return [args, &globals] { return run_init(*args, globals); };
}

}  // namespace gs::cli
