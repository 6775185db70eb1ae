#include "fake_node.hpp"

#include "gravity_sync/util/sha256.hpp"

namespace gs::test {

namespace {

std::string item_list(const std::vector<Item>& items) {
  std::string out;
  for (Item item : items) out += (out.empty() ? "" : ",") + std::string(item_name(item));
  return out;
}


// Records "unlock" on its node's call list when the engine lets the lock go.
class FakeLock : public NodeLock {
 public:
  explicit FakeLock(std::vector<std::string>& calls) : calls_(calls) {}
  ~FakeLock() override { calls_.push_back("unlock"); }

 private:
  std::vector<std::string>& calls_;
};

}  // namespace

FakeNode::FakeNode(const char* name, int major) : name_(name), major_(major) { set_clock(clock_); }

void FakeNode::set_item(Item which, FakeItem state) { items_[which] = std::move(state); }

const FakeItem& FakeNode::item(Item which) const {
  static const FakeItem missing = [] {
    FakeItem m;
    m.exists = false;
    return m;
  }();
  auto it = items_.find(which);
  return it == items_.end() ? missing : it->second;
}

void FakeNode::fail(const std::string& call, Error error) { failures_[call] = std::move(error); }

std::vector<std::string> FakeNode::actions() const {
  std::vector<std::string> out;
  for (const auto& call : calls_) {
    const std::string verb = call.substr(0, call.find(' '));
    if (verb == "inspect" || verb == "stat_items" || verb == "probe" || verb == "backups" || verb == "now" ||
        verb == "ftl_status" || verb == "can_reload") {
      continue;
    }
    out.push_back(call);
  }
  return out;
}

std::optional<Error> FakeNode::record(const std::string& call) {
  calls_.push_back(call);
  auto it = failures_.find(call);
  if (it == failures_.end()) return std::nullopt;
  return it->second;
}

Result<NodeProbe> FakeNode::probe(const std::vector<Item>& items) {
  if (auto e = record("probe " + item_list(items))) return *e;
  NodeProbe p;
  p.major = major_;
  p.schema_version = item(Item::gravity).schema_version;
  return p;
}

Result<NodeState> FakeNode::inspect(const std::vector<Item>& items) {
  if (auto e = record("inspect " + item_list(items))) return *e;
  NodeState out;
  for (Item i : items) {
    const FakeItem& f = item(i);
    ItemState s;
    if (f.error) {
      s.error = f.error->message;
      s.error_code = f.error->code;
      out[i] = s;
      continue;
    }
    const bool value = i != Item::gravity && major_ >= 6;
    // A v6 value always exists: one never set is the empty value.
    s.exists = f.exists || value;
    if (s.exists) {
      s.sha256 = s.canonical = f.exists ? f.digest : records_digest(i, {});
      s.changed_at = f.mtime;
      if (!value) {
        s.size = f.size;
        s.mtime = f.mtime;
      }
      if (i == Item::gravity) {
        s.schema_version = f.schema_version;
        s.fresh = f.fresh;
      } else {
        s.records = f.exists ? f.records : std::optional<size_t>(0);
      }
    }
    out[i] = s;
  }
  return out;
}

Result<std::map<Item, FileInfo>> FakeNode::stat_items(const std::vector<Item>& items) {
  if (auto e = record("stat_items " + item_list(items))) return *e;
  std::map<Item, FileInfo> out;
  for (Item i : items) {
    const FakeItem& f = item(i);
    FileInfo info;
    info.exists = f.exists;
    if (f.exists) {
      info.type = FileType::regular;
      info.size = f.size;
      info.mtime = f.mtime;
    }
    out[i] = info;
  }
  return out;
}

Result<int64_t> FakeNode::now() {
  if (auto e = record("now")) return *e;
  return int64_t{1'700'000'000};
}

Result<Staged> FakeNode::stage(Item i, const std::string& local_dir, const StageOptions& how) {
  const bool tables = how.gravity_tables && i == Item::gravity;
  const bool records = i != Item::gravity && (how.form == TextForm::records || major_ >= 6);
  if (auto e = record(std::string("stage ") + item_name(i) + (tables ? " tables" : "") + (records ? " records" : "")))
    return *e;
  const FakeItem& f = item(i);
  const bool value = i != Item::gravity && major_ >= 6;  // always exists (see inspect)
  if (!f.exists && !value) {
    return make_error(ExitCode::failure, std::string(name_) + " has no " + item_name(i) + " to send");
  }
  auto fresh = new_staged(i, local_dir);
  if (!fresh) return fresh.error();
  // The bytes that travel stand for the item; its digest is what the receiver will have.
  const std::string bytes = "fake " + std::string(item_name(i)) + " " + f.digest + "\n";
  if (auto st = write_all(fresh->fd.get(), bytes.data(), bytes.size()); !st) return st.error();
  Staged& staged = fresh->staged;
  staged.size = bytes.size();
  staged.sha256 = sha256_hex(bytes);
  staged.digest = f.exists ? f.digest : records_digest(i, {});
  staged.form = records ? TextForm::records : TextForm::bytes;
  staged.tables = tables;
  return std::move(staged);
}

Status FakeNode::check_space(Item i, uint64_t, Role role) {
  if (auto e = record(std::string("check_space ") + item_name(i) + (role == Role::receiving ? " receiving" : " sending"))) return *e;
  return {};
}

std::string FakeNode::staging_dir(Item) const { return dir_.path() + "/tmp"; }

Result<Installed> FakeNode::install(const Staged& staged, const ItemState& current) {
  const Item i = staged.item;
  if (auto e = record(std::string("install ") + item_name(i) + (staged.tables ? " tables" : ""))) return *e;
  // What every real install checks first: the copy is what was sent.
  auto sha = sha256_file(staged.path);
  if (!sha) return sha.error();
  if (!staged.sha256.empty() && *sha != staged.sha256) {
    return make_error(ExitCode::refused, "checksum mismatch: received " + *sha + ", sent " + staged.sha256);
  }
  const bool value = i != Item::gravity && major_ >= 6;
  if (value) {
    // `pihole-FTL --config KEY VALUE`: a change to FTL, paced like the real node's.
    ftl_pacer().before_change(*this);
    ftl_pacer().after_change(*this, ftl_set_restarts(i));
  }
  Installed result;
  // A replaced file is backed up first; a v6 value always is (as the v5 file that holds it).
  if (current.exists || value) result.backup_id = keep_backup(i);
  result.rebuild = staged.tables && adlists_change_;
  if (i == Item::gravity && current.exists) ++replaced_;  // kept linked until release_replaced()
  FakeItem f = items_[i];
  f.exists = true;
  f.error.reset();
  f.digest = staged.digest;
  f.size = staged.size;
  if (value && queued_) {
    queued_->emplace_back(i, f);
    result.queued = true;
    return result;
  }
  items_[i] = f;
  return result;
}

std::vector<Committed> FakeNode::commit_values() {
  std::vector<Committed> out;
  auto queued = std::move(queued_).value_or(std::vector<std::pair<Item, FakeItem>>{});
  queued_.reset();
  for (auto& [i, f] : queued) {
    if (auto e = record(std::string("commit ") + item_name(i))) {
      out.push_back({i, *e, ""});
      continue;
    }
    items_[i] = f;
    out.push_back({i, {}, ""});
  }
  return out;
}

Status FakeNode::reload_ready() {
  if (auto e = record("can_reload")) return *e;
  return {};
}

Status FakeNode::reload(Reload level) {
  if (auto e = record(std::string("reload ") + reload_name(level))) return *e;
  // v5 `pihole restartdns` restarts the pihole-FTL service, starting a stopped one.
  if (level == Reload::restart && major_ < 6) ftl_ = FtlState::ready;
  return {};
}

Result<FtlStatus> FakeNode::ftl_status() {
  if (auto e = record("ftl_status")) return *e;
  FtlStatus s;
  s.state = ftl_;
  s.pid = ftl_ == FtlState::not_running ? 0 : 4242;
  if (ftl_ == FtlState::starting) s.detail = "pihole-FTL (PID 4242) is starting";
  if (ftl_ == FtlState::not_running) s.detail = "pihole-FTL is not running (no PID file /run/pihole-FTL.pid)";
  return s;
}

void FakeNode::release_replaced(Millis) {
  if (replaced_ == 0) return;  // a real node has nothing to do then
  (void)record("release_replaced");
  replaced_ = 0;
}

Status FakeNode::rebuild_gravity() {
  if (auto e = record("rebuild_gravity")) return *e;
  return {};
}

Result<std::unique_ptr<NodeLock>> FakeNode::lock(Millis) {
  if (auto e = record("lock")) return *e;
  return std::unique_ptr<NodeLock>(std::make_unique<FakeLock>(calls_));
}

void FakeNode::clean_stale() { (void)record("clean_stale"); }

std::string FakeNode::keep_backup(Item which) {
  BackupEntry b;
  b.side = std::string(name_) == "local" ? Side::local : Side::remote;
  b.item = which;
  b.id = std::string(name_) + ":" + item_name(which) + ":" + std::to_string(++backups_made_);
  b.time = 1'700'000'000 + backups_made_;
  kept_.push_back({b, items_[which]});
  return b.id;
}

Result<std::vector<BackupEntry>> FakeNode::backups() {
  if (auto e = record("backups")) return *e;
  std::vector<BackupEntry> out;
  for (const auto& [entry, state] : kept_) out.push_back(entry);
  return out;
}

Result<Installed> FakeNode::restore(const BackupEntry& entry, const ItemState& current) {
  if (auto e = record("restore " + entry.id)) return *e;
  for (const auto& [kept, state] : kept_) {
    if (kept.id != entry.id) continue;
    const FakeItem restored = state;  // a copy: keeping a backup grows kept_
    Installed result;
    if (current.exists) result.backup_id = keep_backup(entry.item);  // what it replaces, first
    items_[entry.item] = restored;
    return result;
  }
  return make_error(ExitCode::failure, "no backup " + entry.id + " on the fake node");
}

}  // namespace gs::test
