#pragma once

#include <map>
#include <string>
#include <vector>

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

// The domainlist of the gravity.db at `path`, in id order, comma-separated.
std::string domains(const std::string& path);

// The entry of the `items` array of a report named `name`, or nullptr.
const Json* item(const Json& doc, const std::string& name);

// Write `content` to `path` (replacing it), with `mode`.
void write_text(const std::string& path, const std::string& content, int mode = 0644);

// The content of `path`, or "" when missing.
std::string read_text(const std::string& path);

// The outcome of running the gravity-sync binary.
struct Run {
  int code = -1;
  std::string out;
  std::string err;
  // stdout parsed as JSON (a null value if it is not).
  Json json() const;
};

// Run the gravity-sync binary with exactly `args`.
Run run_binary(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

// A lab from tests/lab/lab: two Pi-hole trees and a real sshd on 127.0.0.1, stopped
// and removed when the object goes (also when the test failed).
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

  // Paths inside the trees: node is "primary" (remote) or "secondary" (local).
  std::string path(const std::string& node, const std::string& rel) const { return dir_.path() + "/lab/" + node + "/" + rel; }
  std::string gravity(const std::string& node) const { return path(node, "etc/pihole/gravity.db"); }
  std::string custom_list(const std::string& node) const { return path(node, "etc/pihole/custom.list"); }
  std::string cname(const std::string& node) const { return path(node, "etc/dnsmasq.d/05-pihole-custom-cname.conf"); }
  std::string dhcp(const std::string& node) const { return path(node, "etc/dnsmasq.d/04-pihole-static-dhcp.conf"); }
  std::string toml(const std::string& node) const { return path(node, "etc/pihole/pihole.toml"); }
  // A v6 node's value of `key` as its pihole-FTL stand-in prints it, and setting one there.
  std::string ftl_get(const std::string& node, const std::string& key) const;
  void ftl_set(const std::string& node, const std::string& key, const std::string& json_array) const;
  // Every call the node's stand-ins recorded (pihole, pihole-FTL, docker).
  std::vector<std::string> calls(const std::string& node) const;
  // The environment that puts the lab's container runtime stand-in first on PATH.
  std::map<std::string, std::string> container_env() const;
  // The calls the node's pihole stand-in recorded (not pihole-FTL sqlite3), and clear them.
  std::vector<std::string> reloads(const std::string& node) const;
  void clear_calls() const;

  std::string dir() const { return dir_.path() + "/lab"; }
  const std::string& config() const { return config_; }
  // Replace the config with `yaml`.
  void set_config(const std::string& yaml) const;
  std::string config_text() const { return read_text(config_); }
  // Set one key of the config's sync section ("conflict: skip"), replacing an earlier one.
  void set_sync_option(const std::string& line) const;

 private:
  TempDir dir_;
  std::string config_;
};

}  // namespace gs::test
