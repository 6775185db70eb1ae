// Issue 7 (part): `init` from nothing to a working sync, through the real binary.
#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gravity_sync/util/files.hpp"
#include "test_support.hpp"

namespace gs::test {
namespace {

// The user the lab's sshd lets in: whoever runs the tests.
std::string getlogin_r_safe() {
  auto r = run_process({"id", "-un"});
  return r.ok() ? r->out.substr(0, r->out.find('\n')) : "root";
}

// init's flags for where the lab's two Pi-holes are (a real node uses the defaults) and
// where this node keeps its state and backups: every key of both nodes is a flag.
std::vector<std::string> lab_layout_flags(const Lab& lab) {
  return {"--remote-pihole-dir",     lab.pihole_dir("primary"),
          "--remote-dnsmasq-dir",    lab.dnsmasq_dir("primary"),
          "--remote-pihole-command", lab.path("primary", "shim/pihole"),
          "--remote-ftl-command",    lab.path("primary", "shim/pihole-FTL"),
          "--remote-backup-dir",     lab.path("primary", "backups"),
          "--local-pihole-dir",      lab.pihole_dir("secondary"),
          "--local-dnsmasq-dir",     lab.dnsmasq_dir("secondary"),
          "--local-pihole-command",  lab.path("secondary", "shim/pihole"),
          "--local-ftl-command",     lab.path("secondary", "shim/pihole-FTL"),
          "--state-dir",             lab.path("secondary", "state"),
          "--backup-dir",            lab.path("secondary", "backups")};
}

void append(std::vector<std::string>& to, const std::vector<std::string>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

// docs/OPERATIONS.md: a changed host key (the other node reinstalled) is replaced by
// `init --accept-new-host-key`, after both keys are shown; without the flag (and no
// terminal to type yes on) nothing changes. It used to exit 4 either way.
TEST(Init, AChangedHostKeyIsShownAndReplacedOnlyWhenAccepted) {
  Lab lab;
  const std::string wrong = lab.dir() + "/keys/known_hosts.wrong";  // pins another key
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("keys/known_hosts"), 16, "keys/known_hosts.wrong");
  lab.set_config(yaml);
  const std::string before = read_text(wrong);
  // The fingerprint of the lab sshd's key, as ssh-keygen prints it.
  auto listed = run_process({"ssh-keygen", "-lf", lab.dir() + "/keys/host_ed25519.pub"});
  ASSERT_TRUE(listed.ok());
  const std::string offered = listed->out.substr(listed->out.find(' ') + 1, listed->out.find(' ', listed->out.find(' ') + 1) - listed->out.find(' ') - 1);
  ASSERT_EQ(offered.rfind("SHA256:", 0), 0u) << listed->out;

  auto refused = lab.run({"init"});
  EXPECT_EQ(refused.code, 4) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("now offers ssh-ed25519 " + offered), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find(wrong + " holds ssh-ed25519 SHA256:"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("not replaced"), std::string::npos) << refused.out;
  EXPECT_EQ(read_text(wrong), before);

  auto accepted = lab.run({"init", "--accept-new-host-key"});
  EXPECT_EQ(accepted.code, 0) << accepted.out << accepted.err;
  EXPECT_NE(accepted.out.find("replacing the old key in " + wrong), std::string::npos) << accepted.out;
  EXPECT_NE(accepted.out.find("check: OK"), std::string::npos) << accepted.out;
  EXPECT_EQ(lab.run({"check"}).code, 0);
  EXPECT_EQ(read_text(wrong).find(before.substr(before.find(' ') + 1)), std::string::npos) << "the old key is gone";
}

// The host-key verdict agrees with OpenSSH's own on the same file, for the files admins
// have: CRLF line ends, @revoked, @cert-authority, wildcards, negation, a pin shared with
// another host. The real `ssh` (StrictHostKeyChecking=yes, that file only) connects or
// refuses; `check` must do the same (exit 0 / 4). A revoked key is never pinned by init.
TEST(Init, TheHostKeyVerdictIsOpenSshsOnTheSameFile) {
  Lab lab;
  const std::string d = lab.dir();
  const std::string port = read_text(d + "/port").substr(0, read_text(d + "/port").find('\n'));
  auto key_of = [&](const std::string& pub) {
    const std::string t = read_text(d + "/keys/" + pub);
    return t.substr(0, t.find(' ', t.find(' ') + 1));
  };
  const std::string host_key = key_of("host_ed25519.pub"), other_key = key_of("other_host_ed25519.pub");
  const std::string name = "[127.0.0.1]:" + port;
  const std::string kh = d + "/keys/known_hosts.case";
  struct Case {
    const char* name;
    std::string text;
    bool trusted;
  };
  const std::vector<Case> cases{
      {"pinned", name + " " + host_key + "\n", true},
      {"pinned, CRLF", "# admin's file\r\n" + name + " " + host_key + "\r\n", true},
      {"revoked, and pinned", "@revoked * " + host_key + "\n" + name + " " + host_key + "\n", false},
      {"cert-authority only", "@cert-authority * " + host_key + "\n", false},
      {"wildcard pin", "[127.0.0.*]:* " + host_key + "\n", true},
      // OpenSSH also tries the name without the port for a host new on another port
      // ("found matching key w/out port"); gravity-sync does not, so that is negated too.
      {"negated", "*,!" + name + ",!127.0.0.1 " + host_key + "\n", false},
      {"shared line", "other.lan," + name + " " + host_key + "\n", true},
      {"another key", name + " " + other_key + "\n", false},
  };
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find(d + "/keys/known_hosts\n"), (d + "/keys/known_hosts\n").size(), kh + "\n");
  lab.set_config(yaml);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    write_text(kh, c.text);
    auto ssh = run_process({"ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=/dev/null",
                            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "CheckHostIP=no",
                            "-i", d + "/keys/id_ed25519", "-p", port, getlogin_r_safe() + "@127.0.0.1", "true"});
    ASSERT_TRUE(ssh.ok());
    EXPECT_EQ(ssh->exit_code == 0, c.trusted) << "OpenSSH: " << ssh->err;
    auto ours = lab.run({"check"});
    EXPECT_EQ(ours.code, c.trusted ? 0 : 4) << ours.out << ours.err;
  }
  // init never pins a revoked key, whatever it is told.
  write_text(kh, "@revoked * " + host_key + "\n");
  auto init = lab.run({"init", "--accept-new-host-key"});
  EXPECT_EQ(init.code, 4) << init.out << init.err;
  EXPECT_NE(init.err.find("REVOKED"), std::string::npos) << init.err;
  EXPECT_EQ(read_text(kh), "@revoked * " + host_key + "\n");
  // A wildcard line trusting the old key cannot be rewritten for one host: refused, file as it was.
  write_text(kh, "[127.0.0.*]:* " + other_key + "\n");
  auto wild = lab.run({"init", "--accept-new-host-key"});
  EXPECT_EQ(wild.code, 4) << wild.out << wild.err;
  EXPECT_NE(wild.err.find("through a wildcard pattern (line 1)"), std::string::npos) << wild.err;
  EXPECT_EQ(read_text(kh), "[127.0.0.*]:* " + other_key + "\n");
  // A rotation keeps another host's pin on a shared line, and a CRLF pin is replaced.
  write_text(kh, "other.lan," + name + " " + other_key + "\r\n");
  auto rotated = lab.run({"init", "--accept-new-host-key"});
  EXPECT_EQ(rotated.code, 0) << rotated.out << rotated.err;
  const std::string after = read_text(kh);
  EXPECT_EQ(after.rfind("other.lan " + other_key + "\r\n", 0), 0u) << after;
  EXPECT_NE(after.find(name + " " + host_key), std::string::npos) << after;
  EXPECT_EQ(lab.run({"check"}).code, 0);
}

TEST(Init, FromNothingToCheckAndSync) {
  Lab lab;
  const std::string d = lab.dir();
  const std::string port = read_text(d + "/port").substr(0, read_text(d + "/port").find('\n'));
  const std::string user = getlogin_r_safe();
  const std::string dir = d + "/etc-gravity-sync";
  const std::string config = dir + "/gravity-sync.yaml";
  std::vector<std::string> init{"-c", config, "init", "--remote-host", "127.0.0.1", "--remote-port", port,
                                "--remote-user", user};
  append(init, lab_layout_flags(lab));

  // No terminal and no --accept-new-host-key: the unknown host key is shown, not pinned.
  auto first = run_binary(init);
  EXPECT_EQ(first.code, 4) << first.out << first.err;
  EXPECT_NE(first.out.find("SHA256:"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("not pinned"), std::string::npos) << first.out;
  ASSERT_TRUE(stat_file(config)->exists);
  const auto key = *stat_file(dir + "/id_ed25519");
  EXPECT_EQ(key.mode, 0600u);
  const std::string private_key = read_text(dir + "/id_ed25519");
  EXPECT_EQ(read_text(dir + "/id_ed25519.pub").rfind("ssh-ed25519 ", 0), 0u);

  // Accepted: pinned; the key is not on the remote yet, so it says how to put it there.
  auto init_accept = init;
  init_accept.push_back("--accept-new-host-key");
  auto second = run_binary(init_accept);
  EXPECT_EQ(second.code, 3) << second.out << second.err;
  EXPECT_NE(second.out.find("ssh-copy-id -i " + dir + "/id_ed25519.pub -p " + port + " " + user + "@127.0.0.1"),
            std::string::npos) << second.out;
  EXPECT_NE(read_text(dir + "/known_hosts").find("[127.0.0.1]:" + port), std::string::npos);
  EXPECT_EQ(read_text(dir + "/id_ed25519"), private_key) << "the key is never replaced without --new-key";

  // The key step for a stock Pi-hole: root's authorized_keys, not a password login.
  const std::string pub = read_text(dir + "/id_ed25519.pub");
  EXPECT_NE(second.out.find("sudo install -d -m 700 /root/.ssh && echo '" + pub.substr(0, pub.find('\n')) +
                            "' | sudo tee -a /root/.ssh/authorized_keys"),
            std::string::npos)
      << second.out;
  // What those commands do.
  write_text(d + "/keys/authorized_keys", read_text(d + "/keys/authorized_keys") + pub);

  // Again: config, key and pinned host key are kept; it ends with a passing check.
  auto third = run_binary(init);
  EXPECT_EQ(third.code, 0) << third.out << third.err;
  EXPECT_NE(third.out.find("keeping " + config), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("check: OK"), std::string::npos) << third.out;
  EXPECT_EQ(run_binary({"-c", config, "check"}).code, 0);
  write_text(lab.custom_list("primary"), "10.0.0.1 after-init.lan\n");
  EXPECT_EQ(run_binary({"-c", config, "sync"}).code, 0);
  EXPECT_EQ(read_text(lab.custom_list("secondary")), "10.0.0.1 after-init.lan\n");
}

TEST(Init, WithoutAHostItIsAUsageError) {
  TempDir d;
  auto r = run_binary({"-c", d.path() + "/gs.yaml", "init"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--remote-host is required"), std::string::npos) << r.err;
}

// Re-running init: flags given for a kept config are said not to apply; --force writes the
// config from them and keeps the key (a running daemon's login keeps working); only
// --new-key replaces the key, keeping the old one. init takes no --json.
TEST(Init, ARerunKeepsTheKeyAndSaysWhatItDidNotApply) {
  TempDir d;
  const std::string config = d.path() + "/gs.yaml";
  // Port 1 on loopback: nothing listens, so each init stops at the connection (exit 3).
  const std::vector<std::string> base{"-c", config, "init", "--remote-port", "1"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = base;
    args.insert(args.end(), more.begin(), more.end());
    return run_binary(args);
  };
  ASSERT_EQ(with({"--remote-host", "127.0.0.1"}).code, 3);
  const std::string yaml = read_text(config), key = read_text(d.path() + "/id_ed25519");
  auto ignored = with({"--remote-host", "127.0.0.2"});
  EXPECT_NE(ignored.out.find("the flags given are NOT applied"), std::string::npos) << ignored.out;
  EXPECT_EQ(read_text(config), yaml);
  auto forced = with({"--force", "--remote-host", "127.0.0.2"});
  EXPECT_EQ(forced.code, 3) << forced.out << forced.err;
  EXPECT_NE(read_text(config).find("host: \"127.0.0.2\""), std::string::npos) << read_text(config);
  EXPECT_EQ(read_text(d.path() + "/id_ed25519"), key) << "--force replaced the key";
  auto renewed = with({"--new-key"});
  EXPECT_NE(read_text(d.path() + "/id_ed25519"), key);
  EXPECT_EQ(read_text(d.path() + "/id_ed25519.old"), key);
  auto json = run_binary({"--json", "-c", config, "init"});
  EXPECT_EQ(json.code, 2);
  EXPECT_EQ(json.json()["error"]["code"].as_int(), 2) << json.out;
}

TEST(Init, ANonRootUserGetsSudoAndTheSudoersLineItNeeds) {
  TempDir d;
  const std::string config = d.path() + "/gs.yaml";
  // Port 1 on loopback: nothing listens, so init stops at the connection (exit 3).
  auto r = run_binary({"-c", config, "init", "--remote-host", "127.0.0.1", "--remote-port", "1", "--remote-user", "pi"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  const std::string yaml = read_text(config);
  EXPECT_NE(yaml.find("sudo: true   # needs on the remote: pi ALL=(root) NOPASSWD: /bin/sh"), std::string::npos) << yaml;
  EXPECT_EQ(run_binary({"-c", config, "status"}).code, 0);  // the written config is valid
}

// Issue 15 point 3: for a non-root user (stock Pi-hole: no root password login), init
// prints the commands that let its key in and give the user the narrow sudo rule; once
// they are done (the lab's sshd and sudoers stand for them), init ends with a passing check.
TEST(Init, ANonRootUserIsGivenTheCommandsForItsKeyAndSudo) {
  Lab lab({"--sudo"});
  const std::string d = lab.dir();
  const std::string port = read_text(d + "/port").substr(0, read_text(d + "/port").find('\n'));
  const std::string config = d + "/etc-gravity-sync/gravity-sync.yaml";
  std::vector<std::string> init{"-c", config, "init", "--accept-new-host-key", "--remote-host", "127.0.0.1",
                                "--remote-port", port, "--remote-user", "gs-lab"};
  append(init, lab_layout_flags(lab));
  auto first = run_binary(init);
  EXPECT_EQ(first.code, 3) << first.out << first.err;
  const std::string pub = read_text(d + "/etc-gravity-sync/id_ed25519.pub");
  const char* sudoers_command =
      "f=$(mktemp) && echo 'gs-lab ALL=(root) NOPASSWD: /bin/sh' > \"$f\" && sudo visudo -cqf \"$f\" && sudo install "
      "-m 0440 -o root -g root \"$f\" /etc/sudoers.d/gravity-sync; rm -f \"$f\"";
  // The printed command, run for real (sudo, visudo) in a private overlay of /etc: the rule
  // it installs is the one sudo then grants.
  auto ran = run_process({"unshare", "-m", "--propagation", "private", "sh", "-c",
                          "mkdir -p \"$1/up\" \"$1/wk\" && mount -t overlay overlay -o "
                          "\"lowerdir=/etc,upperdir=$1/up,workdir=$1/wk\" /etc && rm -f /etc/sudoers.d/gravity-sync-lab && "
                          "(" + std::string(sudoers_command) + ") && sudo -l -U gs-lab",
                          "sh", d + "/etc-overlay"});
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(ran->exit_code, 0) << ran->out << ran->err;
  EXPECT_NE(ran->out.find("(root) NOPASSWD: /bin/sh"), std::string::npos) << ran->out << ran->err;
  for (const std::string& want :
       {"sudo install -d -m 700 -o gs-lab ~gs-lab/.ssh && echo '" + pub.substr(0, pub.find('\n')) +
            "' | sudo tee -a ~gs-lab/.ssh/authorized_keys",
        std::string(sudoers_command)}) {
    EXPECT_NE(first.out.find(want), std::string::npos) << want << "\n" << first.out;
  }
  EXPECT_NE(read_text(config).find("sudo: true"), std::string::npos);
  write_text(d + "/keys/authorized_keys", read_text(d + "/keys/authorized_keys") + pub);
  auto second = run_binary(init);
  EXPECT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("check: OK"), std::string::npos) << second.out;
}

// Issue 15 point 3: init finds the local Pi-hole — installed (version, directory, its two
// programs on the PATH, written by full path) or in a container found by name (its bind
// mounts are the directories) — and the check it ends with names the key to set for each
// problem. Each case runs init to its end against the lab's real remote node.
TEST(Init, FindsTheLocalPiholeAndItsCheckNamesTheKeyToSet) {
  struct Case {
    const char* name;
    std::vector<std::string> lab;    // lab up options
    std::vector<std::string> flags;  // beyond the remote's and the directories'
    bool shims_on_path;              // the local node's pihole and pihole-FTL found on PATH
    std::string found;               // in init's "local: ..." line
    std::vector<std::string> config;  // in the config written
    int code;                        // of the check init ends with
    std::vector<std::string> problems;
  };
  const std::vector<Case> cases{
      {"installed v5, programs on the PATH", {}, {"--local-pihole-dir", "@S/etc-pihole", "--local-dnsmasq-dir", "@S/etc-dnsmasq.d"},
       true, "Pi-hole v5 at @S/etc-pihole (@S/shim/pihole, @S/shim/pihole-FTL)",
       {"pihole_command: \"@S/shim/pihole\"", "ftl_command: \"@S/shim/pihole-FTL\""}, 0, {}},
      {"installed v6", {"--v6", "primary", "--v6", "secondary"}, {"--local-pihole-dir", "@S/etc-pihole"}, true,
       "Pi-hole v6 at @S/etc-pihole", {"pihole_dir: \"@S/etc-pihole\""}, 0, {}},
      {"in a container found by name", {"--docker", "secondary"}, {}, false,
       "Pi-hole v5 in container docker:pihole-secondary (found running), its /etc/pihole at @S/etc-pihole",
       {"container: \"docker:pihole-secondary\"", "dnsmasq_dir: \"@S/etc-dnsmasq.d\""}, 0, {}},
      {"programs not found: the keys to set are named", {},
       {"--local-pihole-dir", "@S/etc-pihole", "--local-dnsmasq-dir", "@S/etc-dnsmasq.d", "--local-ftl-command",
        "/nonexistent/pihole-FTL", "--remote-dnsmasq-dir", "/nonexistent/dnsmasq.d"},
       true, "Pi-hole v5 at @S/etc-pihole", {}, 5,
       {"local.ftl_command /nonexistent/pihole-FTL not found: set local.ftl_command to its full path there",
        "remote.dnsmasq_dir /nonexistent/dnsmasq.d does not exist: set remote.dnsmasq_dir to the directory"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Lab lab(c.lab);
    const std::string d = lab.dir();
    const std::string port = read_text(d + "/port").substr(0, read_text(d + "/port").find('\n'));
    auto at = [&](std::string text) {
      for (size_t i; (i = text.find("@S")) != std::string::npos;) text.replace(i, 2, d + "/secondary");
      return text;
    };
    const std::string config = d + "/etc-gravity-sync/gravity-sync.yaml";
    std::vector<std::string> args{"-c", config, "init", "--accept-new-host-key", "--remote-host", "127.0.0.1",
                                  "--remote-port", port, "--remote-user", getlogin_r_safe(),
                                  "--remote-pihole-dir", lab.pihole_dir("primary"),
                                  "--remote-pihole-command", lab.path("primary", "shim/pihole"),
                                  "--remote-ftl-command", lab.path("primary", "shim/pihole-FTL"),
                                  "--remote-backup-dir", lab.path("primary", "backups"),
                                  "--state-dir", lab.path("secondary", "state"),
                                  "--backup-dir", lab.path("secondary", "backups")};
    bool remote_dnsmasq_given = false;
    for (const auto& f : c.flags) {
      args.push_back(at(f));
      remote_dnsmasq_given |= f == "--remote-dnsmasq-dir";
    }
    if (!remote_dnsmasq_given) args.insert(args.end(), {"--remote-dnsmasq-dir", lab.dnsmasq_dir("primary")});
    if (c.lab.empty() || c.lab.front() != "--docker") {
      // Only the lab's container of the local node runs "here".
      ::unlink((d + "/containers/pihole-primary").c_str());
      ::unlink((d + "/containers/pihole-secondary").c_str());
    } else {
      ::unlink((d + "/containers/pihole-primary").c_str());
      ::unlink((d + "/bin/podman").c_str());  // one runtime here, as on a real Docker host
      // Beside it, a container named like Pi-hole that is not one.
      write_text(d + "/containers/pihole-exporter.image", "ekofr/pihole-exporter:latest");
    }
    const char* path = std::getenv("PATH");
    std::string search = d + "/bin:" + (path ? path : "/usr/bin:/bin");
    if (c.shims_on_path) search = d + "/secondary/shim:" + search;
    // The lab's key is the one its sshd knows: init keeps a key that is there.
    ASSERT_TRUE(make_dirs(d + "/etc-gravity-sync").ok());
    ASSERT_TRUE(copy_file(d + "/keys/id_ed25519", d + "/etc-gravity-sync/id_ed25519"));
    ASSERT_TRUE(copy_file(d + "/keys/id_ed25519.pub", d + "/etc-gravity-sync/id_ed25519.pub"));
    ::chmod((d + "/etc-gravity-sync/id_ed25519").c_str(), 0600);
    auto r = run_binary(args, {{"PATH", search}});
    EXPECT_EQ(r.code, c.code) << r.out << r.err;
    EXPECT_NE(r.out.find("local: " + at(c.found)), std::string::npos) << r.out;
    const std::string yaml = read_text(config);
    for (const auto& want : c.config) EXPECT_NE(yaml.find(at(want)), std::string::npos) << yaml;
    for (const auto& want : c.problems) EXPECT_NE(r.out.find("problem: " + want), std::string::npos) << r.out;
    if (c.code == 0) {
      // What init wrote syncs.
      const bool v6_primary = std::find(c.lab.begin(), c.lab.end(), "primary") != c.lab.end();
      if (v6_primary) {
        lab.ftl_set("primary", "dns.hosts", "[\"10.0.0.7 found-by-init.lan\"]");
      } else {
        write_text(lab.custom_list("primary"), "10.0.0.7 found-by-init.lan\n");
      }
      auto sync = run_binary({"-c", config, "sync"}, {{"PATH", search}});
      EXPECT_EQ(sync.code, 0) << sync.out << sync.err;
      EXPECT_EQ(lab.dig_until("secondary", "found-by-init.lan", "NOERROR 10.0.0.7"), "NOERROR 10.0.0.7");
    }
  }
}

// Issue 15 point 3: on a terminal, init asks for each key of both nodes (what it found as
// the default) and writes the answers; a typed yes pins the host key. The terminal is a
// real pty (util-linux `script`), the answers typed into it.
TEST(Init, OnATerminalItAsksForEveryNodeKey) {
  Lab lab;
  const std::string d = lab.dir();
  const std::string port = read_text(d + "/port").substr(0, read_text(d + "/port").find('\n'));
  const std::string dir = d + "/etc-gravity-sync", config = dir + "/gravity-sync.yaml";
  ASSERT_TRUE(make_dirs(dir).ok());
  ASSERT_TRUE(copy_file(d + "/keys/id_ed25519", dir + "/id_ed25519"));
  ASSERT_TRUE(copy_file(d + "/keys/id_ed25519.pub", dir + "/id_ed25519.pub"));
  ::chmod((dir + "/id_ed25519").c_str(), 0600);
  const std::vector<std::string> answers{"127.0.0.1", getlogin_r_safe(), port,
                                         "-", lab.pihole_dir("primary"), lab.dnsmasq_dir("primary"),
                                         lab.path("primary", "shim/pihole"), lab.path("primary", "shim/pihole-FTL"),
                                         "-", lab.pihole_dir("secondary"), lab.dnsmasq_dir("secondary"),
                                         lab.path("secondary", "shim/pihole"), lab.path("secondary", "shim/pihole-FTL"),
                                         "yes"};
  std::string typed;
  for (const auto& a : answers) typed += a + "\n";
  const std::string command = binary_under_test() + " -c " + config + " init --state-dir " +
                              lab.path("secondary", "state") + " --backup-dir " + lab.path("secondary", "backups") +
                              " --remote-backup-dir " + lab.path("primary", "backups");
  auto r = run_process({"script", "-q", "-e", "-c", command, "/dev/null"}, typed, Millis(120'000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->out << r->err;
  for (const char* asked : {"(remote.host)", "remote.container", "remote.pihole_dir [/etc/pihole]", "remote.ftl_command",
                            "local.container", "local.dnsmasq_dir", "local.pihole_command", "Type yes to trust it"}) {
    EXPECT_NE(r->out.find(asked), std::string::npos) << asked << "\n" << r->out;
  }
  const std::string yaml = read_text(config);
  EXPECT_NE(yaml.find("local:   # found by init: Pi-hole v5 at " + lab.pihole_dir("secondary")), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("  ftl_command: \"" + lab.path("primary", "shim/pihole-FTL") + "\""), std::string::npos) << yaml;
  EXPECT_NE(r->out.find("check: OK"), std::string::npos) << r->out;
}

// Issue 15 point 3: a node with no Pi-hole is "no Pi-hole found", not "Pi-hole v5, schema 0".
TEST(Init, ANodeWithoutPiholeIsSaidToHaveNone) {
  Lab lab;
  const std::string empty = lab.dir() + "/empty";
  ASSERT_TRUE(make_dirs(empty).ok());
  std::string yaml = lab.config_text();
  yaml.replace(yaml.find("  pihole_dir: " + lab.pihole_dir("secondary")),
               ("  pihole_dir: " + lab.pihole_dir("secondary")).size(), "  pihole_dir: " + empty);
  lab.set_config(yaml);
  auto r = lab.run({"check"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("local: no Pi-hole found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(empty + "/gravity.db does not exist: Pi-hole is not installed there, or local.pihole_dir"),
            std::string::npos) << r.out;
}

// Issue 15 point 4: the units read /etc/gravity-sync/gravity-sync.yaml; init writes the
// directories that config names outside the units' ReadWritePaths= into a drop-in for
// both units, which systemd-analyze verify takes without a warning, and removes it again
// when they are all inside. Run in a private mount namespace whose /etc is an overlay,
// so the default config path and /etc/systemd/system are the test's own.
TEST(Init, WritesTheUnitsDropInForTheConfigsPathsAndSystemdTakesIt) {
  TempDir d;
  const std::string out = d.path() + "/out";
  ASSERT_TRUE(make_dirs(out).ok());
  // An odd but valid path: a space, a percent sign (a systemd specifier).
  const std::string odd = d.path() + "/pi hole 100%";
  ASSERT_TRUE(make_dirs(odd).ok());
  const std::string script = R"(set -eu
binary=$1 work=$2 out=$3 odd=$4
mkdir -p "$work/up" "$work/wk"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/up,workdir=$work/wk" /etc
mkdir -p /etc/systemd/system
rc=0
"$binary" init --remote-host 127.0.0.1 --remote-port 1 --local-pihole-dir "$odd" --state-dir "$work/state" \
  --backup-dir /var/lib/gravity-sync/backups </dev/null >"$out/first.out" 2>&1 || rc=$?
echo "$rc" > "$out/first.rc"
cp -r /etc/systemd/system/gravity-sync.service.d /etc/systemd/system/gravity-sync-oneshot.service.d "$out/" || true
# All inside the units' own paths again: the drop-ins go.
"$binary" init --force --remote-host 127.0.0.1 --remote-port 1 </dev/null >"$out/second.out" 2>&1 || true
ls /etc/systemd/system > "$out/after.ls"
)";
  auto r = run_process({"unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", binary_under_test(),
                        d.path() + "/ns", out, odd});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->out << r->err;
  EXPECT_EQ(read_text(out + "/first.rc"), "3\n") << read_text(out + "/first.out");
  const std::string dropin = read_text(out + "/gravity-sync.service.d/gravity-sync-paths.conf");
  EXPECT_NE(dropin.find("ReadWritePaths=\"-" + d.path() + "/pi hole 100%%\" \"-" + d.path() + "/ns/state\"\n"),
            std::string::npos) << dropin;
  EXPECT_EQ(read_text(out + "/gravity-sync-oneshot.service.d/gravity-sync-paths.conf"), dropin);
  EXPECT_NE(read_text(out + "/second.out").find("systemd: removed /etc/systemd/system/gravity-sync.service.d/"),
            std::string::npos) << read_text(out + "/second.out");
  EXPECT_EQ(read_text(out + "/after.ls").find("gravity-sync"), std::string::npos) << read_text(out + "/after.ls");

  // systemd reads it: the built units (their ExecStart pointed at this binary) with the
  // drop-ins beside them, verified with no warning about them.
  const std::string build = dir_name(binary_under_test());
  for (const char* unit : {"gravity-sync.service", "gravity-sync-oneshot.service"}) {
    std::string text = read_text(build + "/systemd/" + unit);
    const auto exec = text.find("ExecStart=");
    const auto end = text.find(' ', exec);
    text.replace(exec, end - exec, "ExecStart=" + binary_under_test());
    write_text(out + "/" + unit, text);
  }
  auto verify = run_process({"sh", "-c", "cd \"$1\" && systemd-analyze verify ./gravity-sync.service ./gravity-sync-oneshot.service 2>&1",
                             "sh", out});
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ(verify->exit_code, 0) << verify->out;
  EXPECT_EQ(verify->out.find("gravity-sync"), std::string::npos) << verify->out;
}

}  // namespace
}  // namespace gs::test
