#include "test_support.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "gravity_sync/node/node.hpp"
#include "gravity_sync/pihole/ftl_keys.hpp"
#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/gs-test-XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string fixture(const std::string& name) {
  auto text = read_file(std::string(GS_FIXTURES_DIR) + "/" + name);
  if (!text) throw std::runtime_error("missing fixture " + name + ": " + text.error().message);
  return *text;
}

std::string sqlite(const std::string& path, const std::string& sql) {
  auto r = run_process({"sqlite3", "-batch", "-bail", path}, sql);
  if (!r || r->exit_code != 0) {
    throw std::runtime_error("sqlite3 " + path + " failed: " + (r ? r->err : r.error().message));
  }
  return r->out;
}

void make_gravity_db(const std::string& path, const std::string& schema, int rows) {
  sqlite(path, fixture(schema));
  sqlite(path,
         "INSERT INTO \"group\" (id, name, description) VALUES (1, 'kids', 'Kids');"
         "INSERT INTO adlist (id, address, comment) VALUES (2, 'https://example.org/ads.txt', 'ads');"
         "INSERT INTO domainlist (type, domain) VALUES (0, 'ok.example.com'), (3, '^ad[0-9]+\\.');"
         "INSERT INTO client (ip, comment) VALUES ('192.168.1.20', 'tablet');"
         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
             std::to_string(rows) +
             ") INSERT INTO gravity (domain, adlist_id) SELECT 'h' || x || '.example.com', 2 FROM c;"
             "CREATE INDEX idx_gravity ON gravity (domain, adlist_id);");
}

void grow_gravity(const std::string& path, int rows, const std::string& marker) {
  sqlite(path, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + std::to_string(rows) +
                   ") INSERT INTO gravity (domain, adlist_id) SELECT 'big' || x || '.tracker.example.net', 2 FROM c;"
                   "INSERT INTO domainlist (type, domain) VALUES (1, '" +
                   marker + "');");
}

std::string domains(const std::string& path) {
  return sqlite(path, "SELECT group_concat(domain, ',') FROM (SELECT domain FROM domainlist ORDER BY id);");
}

const Json* item(const Json& doc, const std::string& name) {
  for (const auto& i : doc["items"].items()) {
    if (i["name"].as_string() == name) return &i;
  }
  return nullptr;
}

void write_text(const std::string& path, const std::string& content, int mode) {
  auto st = write_file_atomic(path, content, static_cast<mode_t>(mode));
  if (!st) throw std::runtime_error(st.error().message);
}

std::string read_text(const std::string& path) {
  auto text = read_file(path);
  return text ? *text : "";
}

Json Run::json() const {
  auto doc = Json::parse(out);
  return doc ? *doc : Json();
}

Lab::Lab(int rows) : Lab(std::vector<std::string>{}, rows) {}

Lab::Lab(const std::vector<std::string>& options, int rows) {
  std::vector<std::string> argv{GS_LAB_SCRIPT, "up", dir_.path() + "/lab", "--rows", std::to_string(rows)};
  argv.insert(argv.end(), options.begin(), options.end());
  auto r = run_process(argv, "", Millis(120'000));
  if (!r || r->exit_code != 0) {
    throw std::runtime_error("lab up failed: " + (r ? r->err : r.error().message));
  }
  // The lab lives in a subdirectory so TempDir removes it all.
  config_ = dir_.path() + "/lab/config.yaml";
}

Lab::~Lab() { (void)run_process({GS_LAB_SCRIPT, "down", dir_.path() + "/lab"}, "", Millis(30'000)); }

void Lab::script(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{GS_LAB_SCRIPT};
  argv.push_back(args.at(0));
  argv.push_back(dir_.path() + "/lab");
  for (size_t i = 1; i < args.size(); ++i) argv.push_back(args[i]);
  auto r = run_process(argv, "", Millis(60'000));
  if (!r || r->exit_code != 0) throw std::runtime_error("lab " + args.at(0) + " failed: " + (r ? r->err : ""));
}

Run Lab::run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) const {
  std::vector<std::string> argv{"-c", config_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_binary(argv, env);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool copy_file(const std::string& from, const std::string& to) {
  std::error_code ec;
  return std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
}

std::string binary_under_test() {
  const char* other = std::getenv("GS_TEST_BINARY");
  return other && *other ? other : GS_BINARY;
}

Run run_binary(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{binary_under_test()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv, "", Millis(240'000), env);
  Run out;
  if (!r) {
    out.err = r.error().message;
    return out;
  }
  out.code = r->exit_code;
  out.out = r->out;
  out.err = r->err;
  return out;
}

std::vector<std::string> Lab::reloads(const std::string& node) const {
  std::vector<std::string> calls;
  std::istringstream in(read_text(path(node, "calls.log")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("pihole ", 0) == 0) calls.push_back(line);
  }
  return calls;
}

void Lab::set_remote_shell(const std::string& wrapper) const {
  const std::string config = dir() + "/sshd_config.in";
  const std::string plain = dir() + "/sshd_config.plain";
  if (::access(plain.c_str(), F_OK) != 0) write_text(plain, read_text(config));
  std::string text = read_text(plain);
  if (!wrapper.empty()) {
    write_text(dir() + "/remote-shell", wrapper, 0755);
    text += "ForceCommand " + dir() + "/remote-shell\n";
  }
  write_text(config, text);
  script({"sshd-stop"});
  script({"sshd-start"});
}

std::vector<std::string> Lab::calls(const std::string& node) const {
  std::vector<std::string> out;
  std::istringstream in(read_text(path(node, "calls.log")));
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string pihole_kit() {
  const char* env = std::getenv("GS_PIHOLE_REAL");
  return env && *env ? env : GS_PIHOLE_REAL_DIR;
}

std::string Lab::ftl_get(const std::string& node, const std::string& key) const {
  auto r = run_process({path(node, "bin/pihole-FTL"), "--config", key}, "", Millis(30'000));
  if (!r || r->exit_code != 0) throw std::runtime_error("pihole-FTL --config " + key + " failed: " + (r ? r->out : ""));
  std::string out = r->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void Lab::ftl_set(const std::string& node, const std::string& key, const std::string& json_array) const {
  // The same spacing as FtlPacer (src/node/node.cpp): 1.5 s after a change that FTL
  // applies in place.
  if (auto last = ftl_changes_.find(node); last != ftl_changes_.end()) {
    std::this_thread::sleep_until(last->second + Millis(1'500));
  }
  const bool running = ftl_pid(node) > 0;  // a stopped FTL has no restart to wait out
  auto r = run_process({path(node, "bin/pihole-FTL"), "--config", key, json_array}, "", Millis(30'000));
  if (!r || r->exit_code != 0) {
    throw std::runtime_error("pihole-FTL --config " + key + " " + json_array + " failed: " + (r ? r->out : ""));
  }
  ftl_changes_[node] = std::chrono::steady_clock::now();
  if (!running) return;
  // A key whose change makes FTL restart itself (as the engine judges it, from FTL's
  // FLAG_RESTART_FTL): wait out the restart, 3 s and then until the API answers again, so
  // that what the test does next meets a running FTL, not one half-way through.
  const FtlKey* k = find_ftl_key(key);
  if (!k || !ftl_set_restarts(Item::setting(*k))) return;
  std::this_thread::sleep_for(Millis(3'000));
  const auto deadline = std::chrono::steady_clock::now() + Millis(30'000);
  while (!ftl_values(node, key) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(100));
  }
}

Result<std::vector<std::string>> Lab::ftl_values(const std::string& node, const std::string& key) const {
  // DIR/node.env: WEB_PORT=N   # comment
  std::istringstream env(read_text(path(node, "node.env")));
  std::string line, port;
  while (std::getline(env, line)) {
    if (line.rfind("WEB_PORT=", 0) == 0) port = line.substr(9, line.find_first_of(" #", 9) - 9);
  }
  std::string url_path = key;
  for (char& c : url_path) {
    if (c == '.') c = '/';
  }
  // FTL v6 restarts itself for a new CNAME or DHCP value (and not answering for ~1-2 s is
  // what it does then): a test reading a value after such a change waits for the API to
  // answer again, up to 20 s, rather than read a restart as an answer.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Result<ProcessResult> r = Error{};
  for (;;) {
    r = run_process({"curl", "-s", "--max-time", "5", "http://127.0.0.1:" + port + "/api/config/" + url_path}, "",
                    Millis(30'000));
    if ((r && r->exit_code == 0) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(Millis(200));
  }
  if (!r || r->exit_code != 0) return make_error(ExitCode::failure, "FTL's API does not answer");
  auto doc = Json::parse(r->out);
  if (!doc) return make_error(ExitCode::failure, "FTL's API answered no JSON: " + r->out);
  const Json* at = &(*doc)["config"];
  size_t start = 0;
  while (start <= key.size()) {
    const size_t dot = key.find('.', start);
    at = &(*at)[key.substr(start, dot == std::string::npos ? std::string::npos : dot - start)];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!at->is_array()) return make_error(ExitCode::failure, "FTL's API has no array " + key + ": " + r->out);
  std::vector<std::string> out;
  for (const auto& e : at->items()) out.push_back(e.as_string());
  return out;
}

std::vector<std::string> Lab::ftl_values_until(const std::string& node, const std::string& key,
                                               const std::vector<std::string>& want, Millis limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto got = ftl_values(node, key);
    if ((got && *got == want) || std::chrono::steady_clock::now() >= deadline) {
      return got ? *got : std::vector<std::string>{"(" + got.error().message + ")"};
    }
    std::this_thread::sleep_for(Millis(100));
  }
}

std::string Lab::dig(const std::string& node, const std::string& name, const std::string& type) const {
  auto r = run_process({pihole_kit() + "/node", "dig", path(node, ""), name, type}, "", Millis(30'000));
  if (!r) return "ERROR " + r.error().message;
  std::string out = r->out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string Lab::dig_until(const std::string& node, const std::string& name, const std::string& want,
                           Millis limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::string got = dig(node, name);
    if (got == want || std::chrono::steady_clock::now() >= deadline) return got;
    std::this_thread::sleep_for(Millis(100));
  }
}

int Lab::ftl_pid(const std::string& node) const {
  auto r = run_process({pihole_kit() + "/node", "pid", path(node, "")}, "", Millis(30'000));
  return r && r->exit_code == 0 ? std::atoi(r->out.c_str()) : 0;
}

int Lab::ftl_self_restarts(const std::string& node) const {
  std::istringstream in(read_text(path(node, "log/FTL.log")));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find("(internal restart)") != std::string::npos;
  return n;
}

void Lab::node_command(const std::string& command, const std::string& node) const {
  auto r = run_process({pihole_kit() + "/node", command, path(node, "")}, "", Millis(60'000));
  if (!r || r->exit_code != 0) throw std::runtime_error("node " + command + " failed: " + (r ? r->err : ""));
}

std::string Lab::node_exec(const std::string& node, const std::vector<std::string>& cmd) const {
  std::vector<std::string> argv{pihole_kit() + "/node", "exec", path(node, "")};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  auto r = run_process(argv, "", Millis(120'000));
  if (!r || r->exit_code != 0) throw std::runtime_error("node exec failed: " + (r ? r->out + r->err : ""));
  return r->out;
}

std::map<std::string, std::string> Lab::container_env() const {
  const char* path = std::getenv("PATH");
  return {{"PATH", dir() + "/bin:" + (path ? path : "/usr/bin:/bin")}};
}

void Lab::clear_calls() const {
  write_text(path("primary", "calls.log"), "");
  write_text(path("secondary", "calls.log"), "");
}

void Lab::set_config(const std::string& yaml) const { write_text(config_, yaml); }

void Lab::set_node_command(const std::string& node, const std::string& key, const std::string& command) const {
  std::string yaml = config_text();
  const std::string shim = key + ": " + path(node, key == "pihole_command" ? "shim/pihole" : "shim/pihole-FTL");
  const size_t at = yaml.find(shim);
  if (at == std::string::npos) throw std::runtime_error("no " + shim + " in " + config_);
  set_config(yaml.replace(at, shim.size(), key + ": " + command));
}

void Lab::make_remote_pihole_breakable() const {
  const std::string wrapper = dir() + "/pihole-breakable";
  write_text(wrapper,
             "#!/bin/sh\nif [ -e " + shell_quote(breakable_flag()) +
                 " ]; then echo 'pihole: cannot reload' >&2; exit 1; fi\nexec " +
                 shell_quote(path("primary", "shim/pihole")) + " \"$@\"\n",
             0755);
  set_node_command("primary", "pihole_command", wrapper);
}

}  // namespace gs::test

namespace gs::test {

void Lab::set_sync_option(const std::string& line) const {
  std::string yaml = config_text();
  const std::string key = line.substr(0, line.find(':') + 1);
  auto old = yaml.find("\n  " + key);
  auto section = yaml.find("\nsync:\n");
  if (old != std::string::npos && old > section) yaml.erase(old, yaml.find('\n', old + 1) - old);
  yaml.insert(yaml.find("\nsync:\n") + 7, "  " + line + "\n");
  set_config(yaml);
}

size_t occurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string_view::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

void Lab::list_node_again(const std::string& node, const std::string& name, const std::string& host) const {
  std::string yaml = config_text();
  const auto from = yaml.find("  - name: " + node + "\n");
  if (from == std::string::npos) throw std::runtime_error("no peer " + node + " in " + config_);
  auto to = yaml.find("  - name: ", from + 1);
  if (to == std::string::npos) to = yaml.find("\n", yaml.find("backup_dir:", from)) + 1;
  std::string again = yaml.substr(from, to - from);
  again.replace(0, 10 + node.size(), "  - name: " + name);
  const std::string loopback = "host: 127.0.0.1";
  again.replace(again.find(loopback), loopback.size(), "host: " + host);
  yaml.insert(to, again);
  set_config(yaml);
  std::string port = read_text(dir() + (node == "primary" ? "" : "/sshd-" + node) + "/port");
  port = port.substr(0, port.find('\n'));
  std::string known = read_text(dir() + "/keys/known_hosts");
  const std::string entry = "[127.0.0.1]:" + port + " ";
  const auto at = known.find(entry);
  if (at == std::string::npos) throw std::runtime_error("no host key for " + entry + "in known_hosts");
  known += "[" + host + "]:" + port + " " + known.substr(at + entry.size(), known.find('\n', at) + 1 - at - entry.size());
  write_text(dir() + "/keys/known_hosts", known);
}

DirWatch::DirWatch(const std::string& dir, std::function<void(const Event&)> on_event)
    : dir_(dir), on_event_(std::move(on_event)) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0 || ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
    throw std::runtime_error("cannot watch " + dir);
  }
  thread_ = std::thread([this] { loop(); });
}

DirWatch::~DirWatch() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  if (fd_ >= 0) ::close(fd_);
}

void DirWatch::loop() {
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 20);
    if (ready <= 0) {
      if (stop_) return;  // nothing pending: every event up to now was read
      continue;
    }
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    for (ssize_t off = 0; n > 0 && off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if (e->len == 0) continue;
      Event ev;
      ev.name = e->name;
      ev.created = (e->mask & IN_CREATE) != 0;
      ev.directory = (e->mask & IN_ISDIR) != 0;
      if (on_event_) on_event_(ev);
      struct stat st {};
      if (::lstat((dir_ + "/" + ev.name).c_str(), &st) == 0) ev.mode = st.st_mode & 07777;
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(ev);
    }
  }
}

std::vector<DirWatch::Event> DirWatch::events() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

}  // namespace gs::test
