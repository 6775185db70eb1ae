#include "gravity_sync/node/local_node.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/sqlite/tables.hpp"
#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/util/lock.hpp"
#include "gravity_sync/util/process.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

class LocalLock : public NodeLock {
 public:
  explicit LocalLock(FileLock lock) : lock_(std::move(lock)) {}

 private:
  FileLock lock_;
};

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool nonempty(const std::string& path) {
  auto info = stat_file(path);
  return info.ok() && info->exists && info->size > 0;
}

// Whether the rollback journal at `path` may be hot: SQLite treats a journal as hot only
// when it is not empty and its first byte is not zero (pager.c, hasHotJournal; a journal
// zeroed by a writer killed before its first sync is ignored). One that cannot be read, or
// is not a regular file, counts as hot.
bool maybe_hot_journal(const std::string& path) {
  if (!nonempty(path)) return false;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  char first = 1;
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || ::read(fd.get(), &first, 1) != 1) {
    return true;
  }
  return first != 0;
}

bool command_found(const std::string& command) { return !find_on_path(command).empty(); }

// Wait while `busy()` holds, up to `limit`, looking every `step`; true when it cleared.
template <typename Pred>
bool wait_while(Pred busy, Millis limit, Millis step = Millis(250)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (busy()) {
    if (std::chrono::steady_clock::now() >= deadline || cancel_requested()) return false;
    std::this_thread::sleep_for(std::min(limit, step));
  }
  return true;
}

}  // namespace

LocalNode::LocalNode(PiholeLayout layout, BackupPolicy backups, std::string state_dir)
    : PiholeNode(Side::local, std::move(layout), std::move(backups)), state_dir_(std::move(state_dir)) {}

int LocalNode::major_version() {
  // As the verb major_version says (src/remote/major_version.sh): pihole.toml, and a
  // pihole-FTL that is not v5. FTL is asked once each time pihole.toml appears.
  if (!exists(layout_.toml_path())) {
    toml_major_.reset();
    return 5;
  }
  if (!toml_major_) {
    auto r = run_process(layout_.ftl_argv({"-v"}), "", Millis(10'000));
    toml_major_ = r && r->out.rfind("v5.", 0) == 0 ? 5 : 6;
  }
  return *toml_major_;
}

Result<PiholeToml> LocalNode::read_toml() {
  auto text = read_file(layout_.toml_path(), kMaxPiholeToml, Follow::no);
  if (!text) return with_context(text.error(), "local pihole.toml");
  auto toml = PiholeToml::parse(*text);
  if (!toml) return with_context(toml.error(), "local " + layout_.toml_path());
  return toml;
}

Result<std::string> LocalNode::read_text_file(Item item) {
  return read_file(layout_.item_path(item), kMaxTextItem, Follow::no);
}

Result<std::string> LocalNode::read_backup_text(const BackupEntry& entry) {
  return read_file(entry.path, kMaxTextItem, Follow::no);
}

Result<FtlSet> LocalNode::ftl_config_set(const std::string& key, const std::string& json) {
  auto r = run_process(layout_.ftl_config_argv({key, json}), "", Millis(60'000));
  if (!r) return r.error();
  return FtlSet{r->exit_code, r->err.empty() ? r->out : r->err};
}

Result<NodeProbe> LocalNode::probe(const std::vector<Item>& items) {
  NodeProbe p;
  const bool no_pihole = !exists(layout_.pihole_dir);
  if (no_pihole) p.problems.push_back(missing_dir("local", "pihole_dir", layout_.pihole_dir));
  const std::string db = layout_.item_path(Item::gravity);
  const bool no_gravity = !exists(db);
  if (!no_pihole && no_gravity) p.problems.push_back(missing_gravity("local", db));
  const int major = major_version();
  p.major = no_pihole || (no_gravity && major < 6) ? 0 : major;
  if (major < 6 && !exists(layout_.dnsmasq_dir)) {
    p.problems.push_back(missing_dir("local", "dnsmasq_dir", layout_.dnsmasq_dir));
  }
  if (layout_.container.empty()) {
    if (!command_found(layout_.pihole_command)) {
      p.problems.push_back(missing_command("local", "pihole_command", layout_.pihole_command));
    }
    if (!command_found(layout_.ftl_command)) {
      p.problems.push_back(missing_command("local", "ftl_command", layout_.ftl_command));
    }
  }
  if (auto v = run_process(layout_.ftl_argv({"-v"}), "", Millis(10'000)); v.ok() && v->exit_code == 0) {
    p.ftl_version = v->out.substr(0, v->out.find('\n'));
  }
  if (!layout_.container.empty() && p.ftl_version.empty()) {
    p.problems.push_back(no_ftl_in_container("local", layout_));
  }
  if (exists(db)) {
    auto version = gravity_schema_version(db);
    if (version)
      p.schema_version = *version;
    else
      p.problems.push_back(db + ": " + version.error().message);
  }
  // Every synced value through the reader sync uses: a node sync cannot read fails here.
  if (major >= 6) add_unreadable_values(p, read_toml(), items, "local");
  return p;
}

Result<ItemFiles> LocalNode::read_items(const std::vector<Item>& items) {
  ItemFiles out;
  const bool v6 = major_version() >= 6;
  for (Item item : items) {
    if (item != Item::gravity && v6) {
      if (!out.toml) {
        auto info = stat_file(layout_.toml_path());
        if (info.ok() && info->exists) out.toml_mtime = info->mtime;
        out.toml = read_toml();
      }
      continue;
    }
    const std::string path = layout_.item_path(item);
    auto info = stat_file(path, Follow::no);
    if (!info) return info.error();
    if (item == Item::gravity && info->type == FileType::regular) {
      // A hot journal a crashed writer left is rolled back before the file is looked at,
      // so the stats the swap compares against are those of the file as it is read.
      if (recover_hot_journal(path)) info = stat_file(path, Follow::no);
      if (!info) return info.error();
    }
    ItemFile& f = out.files[item];
    if (auto st = require_regular(path, *info); !st) {
      f.error = Error{st.error().code, "local " + st.error().message};
      continue;
    }
    f.info = *info;
    if (!info->exists && !exists(dir_name(path))) {
      // A missing file in Pi-hole's directory is a new node; a missing directory is no Pi-hole.
      f.error = make_error(ExitCode::refused, "Pi-hole is missing here: directory " + dir_name(path) + " does not exist");
    } else if (info->exists && item == Item::gravity) {
      auto digest = gravity_digest(path);
      if (digest)
        f.gravity = *digest;
      else
        f.error = make_error(ExitCode::refused, digest.error().message);
    } else if (info->exists) {
      auto content = read_file(path, kMaxTextItem, Follow::no);
      if (content)
        f.text = std::move(*content);
      else
        f.error = Error{content.error().code, "local " + content.error().message};
    }
  }
  return out;
}

Result<std::map<Item, FileInfo>> LocalNode::stat_items(const std::vector<Item>& items) {
  std::map<Item, FileInfo> out;
  for (Item item : items) {
    auto info = stat_file(layout_.watch_path(item, major_version()));
    if (!info) return info.error();
    out[item] = *info;
  }
  return out;
}

Result<int64_t> LocalNode::now() { return static_cast<int64_t>(std::time(nullptr)); }

Status LocalNode::check_space(Item item, uint64_t bytes, Role role) {
  // Receiving needs the copy beside the live file and a backup of the live file;
  // sending a database needs its snapshot in the staging area. 1 MiB to spare.
  std::vector<std::string> dirs;
  if (role == Role::receiving) {
    dirs = {state_dir_ + "/tmp", dir_name(layout_.item_path(item)), backups_.dir};
  } else if (item == Item::gravity) {
    dirs = {state_dir_};
  }
  const uint64_t need = bytes + (1 << 20);
  for (const auto& dir : dirs) {
    std::string existing = dir;
    while (!stat_file(existing)->exists && existing != "/") existing = dir_name(existing);
    auto space = free_space(existing);
    if (!space) return space.error();
    if (*space < need) {
      return make_error(ExitCode::refused, "not enough disk space in " + existing + " for " + item_name(item) + ": " +
                                               std::to_string(*space / 1024) + " KiB free, " +
                                               std::to_string(need / 1024) + " KiB needed");
    }
  }
  return {};
}

Status LocalNode::check_writable(const std::vector<Item>& items) {
  // As lock() opens it, the state files are replaced (write_file_atomic), the staging area
  // and each backup directory are made (ensure_private_dir), and each item is replaced.
  if (auto st = check_creatable(state_dir_ + "/gravity-sync.lock", FileType::regular); !st) {
    return with_context(st.error(), "local lock");
  }
  for (const char* name : {"sync-state.json", "last-run.json"}) {
    if (auto st = check_creatable(state_dir_ + "/" + name, FileType::regular); !st) {
      return with_context(st.error(), "local state");
    }
  }
  if (auto st = check_creatable(state_dir_ + "/tmp", FileType::directory); !st) {
    return with_context(st.error(), "local staging area");
  }
  for (Item item : items) {
    const std::string live = layout_.watch_path(item, major_version());
    for (const auto& path : {dir_name(live), live}) {
      if (auto st = check_writable_path(path); !st) return with_context(st.error(), std::string("local ") + item_name(item));
    }
  }
  if (auto st = check_creatable(backups_.dir, FileType::directory); !st)
    return with_context(st.error(), "local backups");
  for (Item item : items) {
    if (auto st = check_creatable(backup_dir(backups_, item), FileType::directory); !st) {
      return with_context(st.error(), "local backups");
    }
  }
  return {};
}

std::string LocalNode::staging_dir(Item) const {
  // Private (ensure_private_dir): no other user can replace a copy while it is checked.
  // install() renames it into place, or copies it through place_file() when Pi-hole's
  // directory lies on another filesystem.
  return state_dir_ + "/tmp";
}

Result<Staged> LocalNode::stage_gravity(NewStaged fresh, const StageOptions& how) {
  const std::string live = layout_.item_path(Item::gravity);
  Staged& staged = fresh.staged;
  fresh.fd.close();
  if (how.gravity_tables) {
    if (auto st = export_tables(live, staged.path); !st) return with_context(st.error(), "local tables");
    staged.tables = true;
  } else if (auto st = snapshot_database(live, staged.path); !st) {
    return with_context(st.error(), "local snapshot");
  }
  auto sha = sha256_file(staged.path, -1, &staged.size);
  if (!sha) return sha.error();
  staged.sha256 = *sha;
  // The digest of exactly what is sent, its schema checked first.
  if (staged.tables) {
    auto digest = tables_file_digest(staged.path);
    if (!digest) return digest.error();
    staged.digest = digest->sha256;
  } else {
    auto digest = gravity_digest(staged.path);
    if (!digest) return digest.error();
    staged.digest = digest->sha256;
  }
  return std::move(staged);
}

Result<BackupEntry> LocalNode::keep_backup(Item item, const std::string& live) {
  const std::string dir = backup_dir(backups_, item);
  if (auto st = ensure_private_dir(backups_.dir); !st) return st.error();
  if (auto st = ensure_private_dir(dir); !st) return st.error();
  auto live_info = stat_file(live);
  auto space = free_space(dir);
  if (space.ok() && live_info.ok() && *space < live_info->size + (1 << 20)) {
    return make_error(ExitCode::refused, "not enough disk space in " + dir + " for a backup of " + live + " (" +
                                             std::to_string(*space / 1024) + " KiB free, " +
                                             std::to_string(live_info->size / 1024) + " KiB needed)");
  }
  const std::string stamp = backup_stamp();
  const std::string path = dir + "/" + backup_file_name(item, stamp);
  auto tmp = create_temp_file(dir, kTempPrefix, ".tmp");
  if (!tmp) return tmp.error();
  RemoveOnExit cleanup(tmp->path);
  if (item == Item::gravity) {
    tmp->fd.close();
    if (auto st = snapshot_database(live, tmp->path); !st) {
      // Without a consistent copy of what we would replace, we do not replace it.
      return make_error(ExitCode::refused, "cannot take a consistent backup of " + live + " (" + st.error().message +
                                               "); not replacing it");
    }
  } else {
    if (auto sha = sha256_file(live, tmp->fd.get()); !sha) return sha.error();
    if (::fsync(tmp->fd.get()) != 0) return make_error(ExitCode::failure, "cannot fsync backup");
  }
  if (::rename(tmp->path.c_str(), path.c_str()) != 0) {
    return make_error(ExitCode::failure, "cannot store backup " + path + ": " + std::strerror(errno));
  }
  cleanup.release();
  if (auto st = fsync_dir(dir); !st) spdlog::warn("backup {}: {}", path, st.error().message);
  return backup_at(Side::local, backups_, item, stamp, 0);
}

Result<BackupEntry> LocalNode::keep_value_backup(Item item, const std::string& file) {
  if (auto st = ensure_private_dir(state_dir_ + "/tmp"); !st) return st.error();
  auto tmp = create_temp_file(state_dir_ + "/tmp", kTempPrefix, ".old");
  if (!tmp) return tmp.error();
  RemoveOnExit cleanup(tmp->path);
  if (auto st = write_all(tmp->fd.get(), file.data(), file.size()); !st) return st.error();
  tmp->fd.close();
  return keep_backup(item, tmp->path);
}

void LocalNode::remove_backups(const std::vector<BackupEntry>& entries) {
  for (const auto& old : entries) {
    ::unlink(old.path.c_str());
    spdlog::debug("removed old backup {}", old.path);
  }
}

Result<NodeCopy> LocalNode::receive_copy(const Staged& staged) {
  // Already here, in the private staging directory (staging_dir): no one else can have
  // replaced it. Its checksum was taken as it was written.
  NodeCopy copy;
  copy.item = staged.item;
  copy.place = staged.path;
  copy.sha256 = staged.sha256;
  copy.size = staged.size;
  copy.cleanup = staged.cleanup.get();
  return copy;
}

Result<NodeCopy> LocalNode::backup_copy(const BackupEntry& entry) {
  auto fresh = new_staged(entry.item, staging_dir(entry.item));
  if (!fresh) return fresh.error();
  NodeCopy copy;
  copy.item = entry.item;
  copy.place = fresh->staged.path;
  auto sha = sha256_file(entry.path, fresh->fd.get(), &copy.size);
  if (!sha) return sha.error();
  copy.sha256 = *sha;
  if (entry.item != Item::gravity) {
    auto text = read_file(copy.place, kMaxTextItem, Follow::no);
    if (!text) return text.error();
    copy.text = std::move(*text);
  }
  copy.owned = std::move(fresh->staged.cleanup);
  copy.cleanup = copy.owned.get();
  return copy;
}

Result<TablesCopy> LocalNode::apply_received_tables(const NodeCopy& tables, const std::string& digest,
                                                    const ItemState& current) {
  const std::string live = layout_.item_path(Item::gravity);
  if (!tables.sha256.empty()) {
    auto sha = sha256_file(tables.place);
    if (!sha) return sha.error();
    if (*sha != tables.sha256) {
      return make_error(ExitCode::refused, "checksum mismatch: received " + *sha + ", sent " + tables.sha256);
    }
  }
  if (auto st = verify_tables(tables.place, current.schema_version, digest); !st) return st.error();
  // A private snapshot of our own database, beside the tables; they replace its
  // configuration tables in one transaction, and our gravity rows stay.
  auto fresh = new_staged(Item::gravity, staging_dir(Item::gravity));
  if (!fresh) return fresh.error();
  fresh->fd.close();
  if (auto st = snapshot_database(live, fresh->staged.path); !st) return with_context(st.error(), "local snapshot");
  auto applied = apply_tables(fresh->staged.path, tables.place);
  if (!applied) return applied.error();
  auto made = gravity_digest(fresh->staged.path);
  if (!made) return made.error();
  if (made->sha256 != digest) {
    return make_error(ExitCode::refused, "after applying the received tables the configuration digest is " +
                                             made->sha256 + ", not the sender's " + digest + "; not installing it");
  }
  auto info = stat_file(fresh->staged.path);
  if (!info) return info.error();
  TablesCopy out;
  out.adlists_changed = applied->adlists_changed;
  out.copy.item = Item::gravity;
  out.copy.place = fresh->staged.path;
  out.copy.size = info->size;  // made here: no checksum to compare (sha256 stays empty)
  out.copy.owned = std::move(fresh->staged.cleanup);
  out.copy.cleanup = out.copy.owned.get();
  return out;
}

std::future<Status> LocalNode::verify_copy(const NodeCopy& copy, int want) {
  // A database's integrity check, the longest step, runs in the background while the
  // procedure waits out a rebuild and backs up the live file.
  std::future<Status> integrity;
  if (copy.item == Item::gravity) integrity = std::async(std::launch::async, verify_gravity, copy.place, want);
  auto verdict = [&]() -> Status {
    if (copy.sha256.empty()) return {};
    auto sha = sha256_file(copy.place);
    if (!sha) return sha.error();
    if (*sha != copy.sha256) {
      return make_error(ExitCode::refused, "checksum mismatch: received " + *sha + ", sent " + copy.sha256);
    }
    return {};
  }();
  if (!verdict || !integrity.valid()) {
    if (integrity.valid()) integrity.wait();
    std::promise<Status> done;
    done.set_value(std::move(verdict));
    return done.get_future();
  }
  return integrity;
}

Result<bool> LocalNode::rebuilding() { return exists(layout_.item_path(Item::gravity) + "_temp"); }

Result<std::optional<BackupEntry>> LocalNode::keep_file_backup(const NodeCopy& copy) {
  const std::string live = layout_.item_path(copy.item);
  auto info = stat_file(live, Follow::no);
  if (!info) return info.error();
  if (auto st = require_regular(live, *info); !st) return st.error();
  if (!info->exists) return std::optional<BackupEntry>();
  auto kept = keep_backup(copy.item, live);
  if (!kept) return kept.error();
  return std::optional<BackupEntry>(*kept);
}

Status LocalNode::swap_copy(NodeCopy& copy, bool& moved) {
  const Item item = copy.item;
  const std::string live = layout_.item_path(item);
  const std::string dir = dir_name(live);
  moved = false;
  auto live_info = stat_file(live, Follow::no);
  if (!live_info) return live_info.error();
  if (auto st = require_regular(live, *live_info); !st) return st.error();

  // Owner and mode: those of the file replaced, or of the directory for a new file.
  Fd fd(::open(copy.place.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return make_error(ExitCode::failure, "cannot reopen " + copy.place);
  uid_t uid;
  gid_t gid;
  mode_t mode;
  if (live_info->exists) {
    uid = live_info->uid;
    gid = live_info->gid;
    mode = live_info->mode;
  } else {
    auto dir_info = stat_file(dir);
    if (!dir_info || !dir_info->exists) return make_error(ExitCode::failure, "directory " + dir + " is missing");
    uid = dir_info->uid;
    gid = dir_info->gid;
    mode = item == Item::gravity ? 0664 : 0644;
  }
  if (::fchown(fd.get(), uid, gid) != 0 && geteuid() == 0) {
    return make_error(ExitCode::failure, "cannot set owner of " + copy.place + ": " + std::strerror(errno));
  }
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
    return make_error(ExitCode::failure, "cannot prepare " + copy.place + ": " + std::strerror(errno));
  }

  // For gravity, hold SQLite's RESERVED lock on the live database so no writer can start
  // (and leave a journal) between the check and the rename; readers go on.
  std::optional<Database> guard;
  if (item == Item::gravity && live_info->exists) {
    auto db = Database::open(live, Database::Mode::read_write, static_cast<int>(waits_.journal.count()));
    if (!db) return db.error();
    if (auto st = db->exec("BEGIN IMMEDIATE"); !st) {
      return make_error(ExitCode::refused, "live database is busy: " + st.error().message);
    }
    guard.emplace(std::move(*db));
    const bool clear =
        wait_while([&] { return maybe_hot_journal(live + "-journal") || nonempty(live + "-wal"); }, waits_.journal);
    if (!clear) {
      return make_error(ExitCode::refused, "a hot journal or WAL lies beside " + live +
                                               "; not swapping over it (a writer still at work, or a gravity.db in "
                                               "WAL mode: docs/OPERATIONS.md, exit 5)");
    }
  }
  // Still the file this run read (for gravity, now that no writer can start).
  if (!copy.expect.empty()) {
    auto now = stat_file(live, Follow::no);
    if (!now) return now.error();
    const std::string seen = now->exists ? file_identity(now->size, now->mtime, now->inode) : "-";
    if (seen != copy.expect) return changed_meanwhile(live);
  }
  // FTL keeps the database open; the replaced file stays linked under another name until
  // FTL has reopened (release_replaced), so FTL sees it renamed, never unlinked.
  std::optional<std::string> old_link;
  if (item == Item::gravity && live_info->exists) {
    auto link = link_beside(live, std::string(kTempPrefix) + "old.");
    if (link)
      old_link = *link;
    else
      spdlog::debug("local gravity: {}", link.error().message);
  }
  if (auto st = place_file(fd.get(), copy.place, live); !st) {
    if (old_link) ::unlink(old_link->c_str());
    return st.error();
  }
  moved = true;
  if (copy.cleanup) copy.cleanup->release();
  if (old_link) replaced_.push_back(*old_link);
  if (guard) {
    // Ends our read of the old inode; nothing was written, so there is nothing to undo.
    (void)guard->exec("ROLLBACK");
    guard.reset();
  }
  return fsync_dir(dir);
}

void LocalNode::discard_copy(const NodeCopy&) {
  // The copy lies in the private staging directory; whoever made it removes it (Staged's or
  // NodeCopy's RemoveOnExit).
}

Result<std::vector<std::string>> LocalNode::missing_commands(const std::vector<std::string>& commands) {
  std::vector<std::string> missing;
  for (const auto& c : commands) {
    if (!command_found(c)) missing.push_back(c);
  }
  return missing;
}

Status LocalNode::run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) {
  const auto argv = layout_.pihole_argv(args);
  const std::string shown = join_args(argv);
  spdlog::info("local: {}: {}", what, shown);
  auto r = run_process(argv, "", timeout);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(ExitCode::failure,
                      "`" + shown + "` failed (exit " + std::to_string(r->exit_code) + "): " + r->err);
  }
  return {};
}

Result<FtlIdentity> LocalNode::ftl_identity() {
  FtlIdentity id;
  if (major_version() >= 6) {
    if (auto t = read_file(layout_.toml_path(), kMaxPiholeToml, Follow::no); t) id.toml = *t;
    auto r = run_process(layout_.ftl_argv({"sigrtmin"}), "", Millis(10'000));
    if (r && r->exit_code == 0) id.sigrtmin = r->out;
  } else if (auto c = read_file(layout_.pihole_dir + "/pihole-FTL.conf", 1 << 20, Follow::no); c) {
    id.conf = *c;
  }
  return id;
}

Result<std::string> LocalNode::run_ftl(const std::vector<std::string>& args, Millis timeout) {
  auto r = run_process(layout_.ftl_argv(args), "", timeout);
  if (!r) return r.error();
  return r->out + r->err;
}

void LocalNode::release_replaced(Millis wait) {
  for (const auto& path : replaced_) {
    auto info = stat_file(path);
    if (info.ok() && info->exists && !wait_while([&] { return open_by_any_process(path); }, wait, Millis(20))) {
      spdlog::debug("local: {} is still open; the next run removes it", path);
      continue;
    }
    ::unlink(path.c_str());
  }
  replaced_.clear();
}

Result<std::unique_ptr<NodeLock>> LocalNode::lock(Millis wait) {
  if (auto st = make_dirs(state_dir_, 0755); !st) return st.error();
  auto lock = FileLock::acquire(state_dir_ + "/gravity-sync.lock", wait);
  if (!lock) return lock.error();
  return std::unique_ptr<NodeLock>(std::make_unique<LocalLock>(std::move(*lock)));
}

namespace {

// The items whose backup directories `backup_root` holds: one per item (and per settings
// key) that was ever backed up; other names are not ours and are left alone.
std::vector<Item> backed_up_items(const std::string& backup_root) {
  std::vector<Item> out;
  DirHandle d(::opendir(backup_root.c_str()));
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    if (auto item = parse_item(e->d_name)) out.push_back(*item);
  }
  return out;
}

}  // namespace

void LocalNode::clean_stale() {
  int n = remove_stale(layout_.pihole_dir, kTempPrefix, 0) + remove_stale(layout_.dnsmasq_dir, kTempPrefix, 0) +
          remove_stale(state_dir_ + "/tmp", kTempPrefix, 0);
  for (Item item : backed_up_items(backups_.dir)) n += remove_stale(backups_.dir + "/" + item_name(item), kTempPrefix, 0);
  if (n > 0) spdlog::info("local: removed {} temp file(s) left by an interrupted run", n);
}

Result<std::vector<BackupEntry>> LocalNode::backups() {
  std::vector<BackupEntry> out;
  for (Item item : backed_up_items(backups_.dir)) {
    const std::string dir = backup_dir(backups_, item);
    DirHandle d(::opendir(dir.c_str()));
    if (!d) continue;
    while (dirent* e = ::readdir(d.get())) {
      auto info = stat_file(dir + "/" + e->d_name, Follow::no);
      if (!info.ok() || info->type != FileType::regular) continue;
      auto entry = backup_entry(Side::local, backups_, item_name(item), e->d_name, info->size);
      if (entry) out.push_back(*entry);
    }
  }
  sort_backups(out);
  return out;
}

}  // namespace gs
