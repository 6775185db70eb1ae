#include "gravity_sync/sync/state.hpp"

#include <algorithm>
#include <ctime>
#include <mutex>

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

std::optional<Side> StateStore::env_skipped(Item item) const {
  const std::string side = doc_["remotes"][remote_][item_name(item)]["set_by_env"].as_string();
  if (side == "local") return Side::local;
  if (side == "remote") return Side::remote;
  return std::nullopt;
}

void StateStore::set_env_skipped(Item item, std::optional<Side> side) {
  Json remotes = doc_["remotes"].is_object() ? doc_["remotes"] : Json::object();
  Json peer = remotes[remote_].is_object() ? remotes[remote_] : Json::object();
  const Json& old = peer[item_name(item)];
  Json entry = Json::object();
  for (const auto& [k, v] : old.members()) {
    if (k != "set_by_env") entry.set(k, v);
  }
  if (side) entry.set("set_by_env", side_name(*side));
  peer.set(item_name(item), entry);
  remotes.set(remote_, peer);
  doc_.set("remotes", remotes);
}

namespace {

// Where a node's pending reload is kept. The local node's is this machine's, whichever peer
// the run was with (a config naming the remote differently, or another config with the same
// state_dir, still owes it); the remote's beside the peer's histories, under a name no item
// has.
constexpr const char* kLocalPending = "pending-reload-local";
constexpr const char* kRemotePending = "pending-reload-remote";
constexpr const char* kPulled = "pulled-versions";  // this node's, per item

// Everything of `object` but `key`.
Json without(const Json& object, const std::string& key) {
  Json out = Json::object();
  for (const auto& [k, v] : object.members()) {
    if (k != key) out.set(k, v);
  }
  return out;
}

}  // namespace

std::optional<PendingReload> StateStore::pending_reload(Side side) const {
  const Json& entry = side == Side::local ? doc_[kLocalPending] : doc_["remotes"][remote_][kRemotePending];
  if (!entry.is_object()) return std::nullopt;
  PendingReload p;
  // A damaged entry still owes the heaviest reload: nothing is lost by doing too much.
  p.level = parse_reload(entry["level"].as_string()).value_or(Reload::restart);
  p.rebuild = entry["rebuild"].as_bool();
  for (const auto& name : entry["items"].items()) {
    auto item = parse_item(name.as_string());
    if (item && std::find(p.items.begin(), p.items.end(), *item) == p.items.end()) p.items.push_back(*item);
  }
  p.since = entry["since"].as_int();
  p.error = entry["error"].as_string().substr(0, 1000);
  return p;
}

Json pending_reload_json(const PendingReload& pending) {
  Json entry = Json::object();
  entry.set("level", reload_name(pending.level));
  entry.set("rebuild", pending.rebuild);
  Json items = Json::array();
  for (Item item : pending.items) items.push(item_name(item));
  entry.set("items", items);
  entry.set("since", pending.since);
  entry.set("error", pending.error);
  return entry;
}

std::optional<PulledVersion> StateStore::pulled_version(Item item) const {
  const Json& entry = doc_[kPulled][item_name(item)];
  if (!entry.is_object() || entry["digest"].as_string().empty()) return std::nullopt;
  return PulledVersion{entry["digest"].as_string(), entry["canonical"].as_string(), entry["changed_at"].as_int()};
}

void StateStore::set_pulled_version(Item item, const PulledVersion& version) {
  Json all = doc_[kPulled].is_object() ? doc_[kPulled] : Json::object();
  Json entry = Json::object();
  entry.set("digest", version.digest);
  entry.set("canonical", version.canonical);
  entry.set("changed_at", version.changed_at);
  all.set(item_name(item), entry);
  doc_.set(kPulled, all);
  if (std::find(pulled_touched_.begin(), pulled_touched_.end(), item) == pulled_touched_.end()) {
    pulled_touched_.push_back(item);
  }
}

void StateStore::set_pending_reload(Side side, const PendingReload& pending) {
  if (side == Side::local) {
    doc_.set(kLocalPending, pending_reload_json(pending));
    local_touched_ = true;
    return;
  }
  Json remotes = doc_["remotes"].is_object() ? doc_["remotes"] : Json::object();
  Json peer = remotes[remote_].is_object() ? remotes[remote_] : Json::object();
  peer.set(kRemotePending, pending_reload_json(pending));
  remotes.set(remote_, peer);
  doc_.set("remotes", remotes);
}

void StateStore::owe_reload(Side side, Reload level, bool rebuild, const std::vector<Item>& items,
                            const std::string& error, int64_t now) {
  PendingReload p = pending_reload(side).value_or(PendingReload{});
  if (p.since == 0) p.since = now;
  p.level = heavier(p.level, level);
  p.rebuild = p.rebuild || rebuild;
  for (Item item : items) {
    if (std::find(p.items.begin(), p.items.end(), item) == p.items.end()) p.items.push_back(item);
  }
  p.error = error;
  set_pending_reload(side, p);
}

void StateStore::clear_pending_reload(Side side) {
  if (!pending_reload(side)) return;
  if (side == Side::local) {
    doc_ = without(doc_, kLocalPending);
    local_touched_ = true;
    return;
  }
  Json remotes = doc_["remotes"];
  remotes.set(remote_, without(remotes[remote_], kRemotePending));
  doc_.set("remotes", remotes);
}

Status StateStore::save() {
  // Runs with several peers at once (sync/peer_runs, the daemon) share the file: each
  // writes its own peer's part, and this node's pending reload when it changed it, over
  // what is there now. Other processes are kept out by this node's lock.
  static std::mutex saving;
  const std::lock_guard<std::mutex> hold(saving);
  if (auto st = make_dirs(dir_, 0755); !st) return st;
  StateStore now(dir_, remote_);
  if (auto st = now.load(); !st) return st;
  Json doc = now.doc_.is_object() ? now.doc_ : Json::object();
  if (doc_["remotes"][remote_].is_object()) {
    Json remotes = doc["remotes"].is_object() ? doc["remotes"] : Json::object();
    remotes.set(remote_, doc_["remotes"][remote_]);
    doc.set("remotes", remotes);
  }
  if (local_touched_ && doc_[kLocalPending].is_object()) {
    doc.set(kLocalPending, doc_[kLocalPending]);
  } else if (local_touched_) {
    doc = without(doc, kLocalPending);
  }
  if (!pulled_touched_.empty()) {
    Json all = doc[kPulled].is_object() ? doc[kPulled] : Json::object();
    for (Item item : pulled_touched_) all.set(item_name(item), doc_[kPulled][item_name(item)]);
    doc.set(kPulled, all);
  }
  doc_ = doc;
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
