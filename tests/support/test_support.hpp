#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/process.hpp"

namespace gs::test {

// A fresh directory under $TMPDIR, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The text of the Pi-hole fixture `name` ("gravity-v15.sql").
std::string fixture(const std::string& name);

// Create a gravity.db at `path` from the fixture schema `schema` with a little
// configuration (a group, an adlist, two domains, a client) and `rows` gravity rows.
void make_gravity_db(const std::string& path, const std::string& schema = "gravity-v15.sql", int rows = 100);

// Make the gravity.db at `path` bigger by `rows` blocklist domains (so a transfer takes
// a while) and add the deny-list entry `marker`, a configuration change to look for.
void grow_gravity(const std::string& path, int rows, const std::string& marker);

// Run SQL on the database at `path` with the real sqlite3 shell; returns its stdout.
std::string sqlite(const std::string& path, const std::string& sql);

// The names in directory `dir`, sorted (none when it does not exist).
std::vector<std::string> list_dir(const std::string& dir);
// Copy the file `from` to `to` (replacing it); false on failure.
bool copy_file(const std::string& from, const std::string& to);

// The domainlist of the gravity.db at `path`, in id order, comma-separated.
std::string domains(const std::string& path);

// The entry of the `items` array of a report named `name`, or nullptr.
const Json* item(const Json& doc, const std::string& name);

// Write `content` to `path` (replacing it), with `mode`.
void write_text(const std::string& path, const std::string& content, int mode = 0644);
// How often `needle` occurs in `text` (overlapping ones too).
size_t occurrences(std::string_view text, std::string_view needle);

// The content of `path`, or "" when missing.
std::string read_text(const std::string& path);

// Records what is created in one directory (inotify), from construction until events().
class DirWatch {
 public:
  struct Event {
    std::string name;
    bool created = false;    // IN_CREATE (else moved in: IN_MOVED_TO)
    bool directory = false;  // IN_ISDIR
    unsigned mode = 0;       // its permission bits when it was seen, 0 if already gone
  };
  // `on_event`, when given, runs in the watching thread the moment an event is read (to
  // race gravity-sync, as another user would), before the event is recorded.
  explicit DirWatch(const std::string& dir, std::function<void(const Event&)> on_event = nullptr);
  ~DirWatch();
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;
  // Stop watching; every event seen.
  std::vector<Event> events();

 private:
  void loop();
  std::string dir_;
  std::function<void(const Event&)> on_event_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Event> events_;
  std::thread thread_;
};

// The outcome of running the gravity-sync binary.
struct Run {
  int code = -1;
  std::string out;
  std::string err;
  // stdout parsed as JSON (a null value if it is not).
  Json json() const;
};

// The real Pi-hole kit (../shared/pihole-real).
std::string pihole_kit();

// The gravity-sync binary the tests run: this build's, or GS_TEST_BINARY (an older build,
// to show that a test fails there).
std::string binary_under_test();

// Run the gravity-sync binary with exactly `args`.
Run run_binary(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

// A lab from tests/lab/lab: two real Pi-hole nodes (pihole-FTL and Pi-hole's scripts, from
// ../shared/pihole-real) and a real sshd on 127.0.0.1, stopped and removed when the object
// goes (also when the test failed). Each node's `pihole` and `pihole-FTL` are reached
// through a recording shim that logs the call and runs the real program.
class Lab {
 public:
  explicit Lab(int rows = 1000);
  // A lab built with `lab up` options ({"--v6", "primary"}, {"--docker", "secondary"}, {"--sudo"}).
  explicit Lab(const std::vector<std::string>& options, int rows = 1000);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // Run gravity-sync with `-c config` and `args`.
  Run run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) const;
  // Run the lab script with `args` ("sshd-stop", ...).
  void script(const std::vector<std::string>& args) const;
  // Restart the lab's sshd so that every command of gravity-sync on the remote runs through
  // `wrapper` (a shell script; the command is in $SSH_ORIGINAL_COMMAND), as a hostile or
  // careless remote shell would; with "" it runs the commands plainly again.
  void set_remote_shell(const std::string& wrapper) const;

  // Paths of a node: node is "primary" (remote) or "secondary" (local). The node's
  // /etc/pihole and /etc/dnsmasq.d are its etc-pihole and etc-dnsmasq.d.
  std::string path(const std::string& node, const std::string& rel) const {
    return dir_.path() + "/lab/" + node + "/" + rel;
  }
  std::string pihole_dir(const std::string& node) const { return path(node, "etc-pihole"); }
  std::string dnsmasq_dir(const std::string& node) const { return path(node, "etc-dnsmasq.d"); }
  std::string gravity(const std::string& node) const { return path(node, "etc-pihole/gravity.db"); }
  std::string custom_list(const std::string& node) const { return path(node, "etc-pihole/custom.list"); }
  std::string cname(const std::string& node) const { return path(node, "etc-dnsmasq.d/05-pihole-custom-cname.conf"); }
  std::string dhcp(const std::string& node) const { return path(node, "etc-dnsmasq.d/04-pihole-static-dhcp.conf"); }
  std::string toml(const std::string& node) const { return path(node, "etc-pihole/pihole.toml"); }
  // A v6 node's value of `key` as the real `pihole-FTL --config KEY` prints it, and setting
  // one there (exit 0 required). Sets are paced as gravity-sync paces its own (FtlPacer):
  // real FTL v6.4.1 can hang when a value is set while it restarts for the previous one.
  // ftl_set returns once FTL is back from the restart a key makes (FLAG_RESTART_FTL).
  std::string ftl_get(const std::string& node, const std::string& key) const;
  void ftl_set(const std::string& node, const std::string& key, const std::string& json_array) const;
  // Every call the node's shims recorded (pihole, pihole-FTL, docker).
  std::vector<std::string> calls(const std::string& node) const;
  // The environment that puts the lab's container runtime stand-in first on PATH.
  std::map<std::string, std::string> container_env() const;
  // The calls of `pihole` the node's shim recorded (reloads, `pihole -g`), and clear them.
  std::vector<std::string> reloads(const std::string& node) const;
  void clear_calls() const;

  // The string array `key` ("dns.hosts") as the node's running FTL holds it, from FTL's own
  // API (GET /api/config/dns/hosts: JSON, so every entry is exact; the lab's nodes have no
  // web password). An error when FTL does not answer within 20 s (it restarts itself for a
  // CNAME or DHCP change, and the API is silent for a moment then).
  Result<std::vector<std::string>> ftl_values(const std::string& node, const std::string& key) const;
  // Wait up to `limit` until ftl_values(node, key) is `want` (FTL applies a change to
  // pihole.toml within about a second, or restarts itself for CNAMEs, which under load takes
  // tens of seconds); the last value seen.
  std::vector<std::string> ftl_values_until(const std::string& node, const std::string& key,
                                            const std::vector<std::string>& want, Millis limit = Millis(60'000)) const;

  // What the node's FTL answers for `name` (`node dig`): "NOERROR 0.0.0.0",
  // "NOERROR nas.lan. 192.168.1.10" (CNAME, then A), "NXDOMAIN", "TIMEOUT".
  std::string dig(const std::string& node, const std::string& name, const std::string& type = "A") const;
  // Wait up to `limit` until dig(node, name) is `want`; the last answer either way. The
  // limit is generous: it costs nothing when the answer comes, and a loaded machine (the
  // sanitizer run) can take tens of seconds for an FTL restart.
  std::string dig_until(const std::string& node, const std::string& name, const std::string& want,
                        Millis limit = Millis(60'000)) const;
  // The node's running FTL's PID, 0 when it does not run.
  int ftl_pid(const std::string& node) const;
  // How often the node's FTL restarted itself so far (v6: "FTL terminated ... (internal restart)"
  // in FTL.log, once per restart; its PID stays the same).
  int ftl_self_restarts(const std::string& node) const;
  // `node start|stop|restart` of the kit for the node.
  void node_command(const std::string& command, const std::string& node) const;
  // Run CMD inside the node's namespace (as Pi-hole sees its files); its stdout.
  std::string node_exec(const std::string& node, const std::vector<std::string>& cmd) const;

  std::string dir() const { return dir_.path() + "/lab"; }
  const std::string& config() const { return config_; }
  // Replace the config with `yaml`.
  void set_config(const std::string& yaml) const;
  std::string config_text() const { return read_text(config_); }
  // Set one key of the config's sync section ("conflict: skip"), replacing an earlier one.
  void set_sync_option(const std::string& line) const;
  // List the remote node `node` a second time, as peer `name` reached at `host` (another
  // name of 127.0.0.1), with its host key in known_hosts under that name too.
  void list_node_again(const std::string& node, const std::string& name, const std::string& host) const;
  // Point the config's `key` (pihole_command, ftl_command) for `node` at `command` instead
  // of the node's recording shim.
  void set_node_command(const std::string& node, const std::string& key, const std::string& command) const;
  // Make the remote's `pihole` fail (exit 1, as a broken Pi-hole script or a full /run
  // would) while the file breakable_flag() exists, and run the real one otherwise.
  void make_remote_pihole_breakable() const;
  std::string breakable_flag() const { return dir() + "/reload-broken"; }

 private:
  TempDir dir_;
  std::string config_;
  // Per node: when FTL was last changed through ftl_set (a restart it made waited out).
  mutable std::map<std::string, std::chrono::steady_clock::time_point> ftl_changes_;
};

}  // namespace gs::test
