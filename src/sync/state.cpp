#include "gravity_sync/sync/state.hpp"

#include <ctime>

#include "gravity_sync/util/files.hpp"

namespace gs {

StateStore::StateStore(std::string dir, std::string remote) : dir_(std::move(dir)), remote_(std::move(remote)) {}

Status StateStore::load() {
  const std::string path = dir_ + "/sync-state.json";
  auto info = stat_file(path);
  if (!info) return info.error();
  if (!info->exists) return {};
  auto text = read_file(path);
  if (!text) return text.error();
  auto doc = Json::parse(*text);
  if (!doc || !doc->is_object()) {
    // A damaged history only costs us direction detection: fall back to the policy.
    doc_ = Json::object();
    return {};
  }
  doc_ = std::move(*doc);
  return {};
}

std::optional<History> StateStore::history(Item item) const {
  const Json& entry = doc_["remotes"][remote_][item_name(item)];
  if (!entry.is_object()) return std::nullopt;
  History h{entry["local"].as_string(), entry["remote"].as_string()};
  if (h.local.empty() || h.remote.empty()) return std::nullopt;
  return h;
}

void StateStore::set_history(Item item, const History& history) {
  Json remotes = doc_["remotes"].is_object() ? doc_["remotes"] : Json::object();
  Json peer = remotes[remote_].is_object() ? remotes[remote_] : Json::object();
  Json entry = Json::object();
  entry.set("local", history.local);
  entry.set("remote", history.remote);
  entry.set("time", static_cast<int64_t>(std::time(nullptr)));
  peer.set(item_name(item), entry);
  remotes.set(remote_, peer);
  doc_.set("remotes", remotes);
}

Status StateStore::save() {
  if (auto st = make_dirs(dir_, 0755); !st) return st;
  return write_file_atomic(dir_ + "/sync-state.json", doc_.dump() + "\n", 0600);
}

Status StateStore::save_last_run(const Json& run) {
  if (auto st = make_dirs(dir_, 0755); !st) return st;
  return write_file_atomic(dir_ + "/last-run.json", run.dump() + "\n", 0600);
}

std::optional<Json> StateStore::last_run() const {
  auto text = read_file(dir_ + "/last-run.json");
  if (!text) return std::nullopt;
  return Json::parse(*text);
}

void StateStore::save_daemon_status(const Json& status) {
  if (make_dirs(dir_, 0755)) (void)write_file_atomic(dir_ + "/daemon.json", status.dump() + "\n", 0600, false);
}

std::optional<Json> StateStore::daemon_status() const {
  auto text = read_file(dir_ + "/daemon.json");
  if (!text) return std::nullopt;
  return Json::parse(*text);
}

}  // namespace gs
