#include "gravity_sync/sqlite/database.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>

namespace gs {

std::string sql_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

namespace {

// Functions our own SQL uses; nothing that reads or writes files, loads code or has state.
constexpr const char* kAllowedFunctions[] = {"hex", "quote", "coalesce", "count", "group_concat", "length", "ifnull",
                                             "char", "substr", "lower", "upper", "typeof"};
constexpr const char* kAllowedPragmas[] = {"integrity_check", "quick_check", "table_xinfo", "table_info",
                                           "foreign_keys", "page_size", "journal_mode", "trusted_schema"};

bool listed(const char* name, const auto& list) {
  if (!name) return false;
  for (const char* x : list) {
    if (sqlite3_stricmp(x, name) == 0) return true;
  }
  return false;
}

int authorize(void* mode_ptr, int action, const char* a, const char* b, const char*, const char*) {
  const auto mode = *static_cast<const Database::Mode*>(mode_ptr);
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_TRANSACTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      return listed(b, kAllowedFunctions) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_PRAGMA:
      return listed(a, kAllowedPragmas) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return mode == Database::Mode::attach ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_UPDATE:
      // A table-valued pragma whose argument is a column of sqlite_master is reported as
      // an "update" of that column; nothing is written (and a read-only connection cannot).
      if (a && (sqlite3_stricmp(a, "sqlite_master") == 0 || sqlite3_stricmp(a, "sqlite_schema") == 0)) return SQLITE_OK;
      return mode == Database::Mode::read_only ? SQLITE_DENY : SQLITE_OK;
    default:
      // Every write, schema change and anything else.
      return mode == Database::Mode::read_only ? SQLITE_DENY : SQLITE_OK;
  }
}

// The VFS every database is opened through: the default one, except that it deletes only
// the journal or WAL of a database opened through it, and a super-journal it made itself. Rolling back a hot journal that names
// a super-journal makes SQLite delete the file it names; the pihole user can write
// gravity.db-journal and gravity-sync runs as root, so without this a journal could name
// any file for root to delete. A refused delete fails the rollback, and the open with it.
struct GuardedVfs {
  sqlite3_vfs* base = nullptr;
  sqlite3_vfs vfs{};
  std::mutex mutex;
  std::set<std::string> main_databases;  // full paths, as SQLite names them
  std::set<std::string> super_journals;  // made by a transaction of ours over attached databases
};

GuardedVfs& guarded() {
  static GuardedVfs g;
  return g;
}

int guarded_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  GuardedVfs& g = guarded();
  // A super-journal counts as ours only when this process creates it (a commit over
  // attached databases); rolling back a hot journal opens the one it names read-only.
  const bool made_super_journal = (flags & SQLITE_OPEN_SUPER_JOURNAL) && (flags & SQLITE_OPEN_CREATE);
  if (name && ((flags & SQLITE_OPEN_MAIN_DB) || made_super_journal)) {
    std::lock_guard lock(g.mutex);
    (flags & SQLITE_OPEN_MAIN_DB ? g.main_databases : g.super_journals).insert(name);
  }
  return g.base->xOpen(g.base, name, file, flags, out_flags);
}

int guarded_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  GuardedVfs& g = guarded();
  const std::string_view path = name ? name : "";
  {
    std::lock_guard lock(g.mutex);
    if (g.super_journals.erase(std::string(path))) return g.base->xDelete(g.base, name, sync_dir);
  }
  for (std::string_view suffix : {std::string_view("-journal"), std::string_view("-wal")}) {
    if (path.size() <= suffix.size() || path.substr(path.size() - suffix.size()) != suffix) continue;
    std::lock_guard lock(g.mutex);
    if (g.main_databases.count(std::string(path.substr(0, path.size() - suffix.size())))) {
      return g.base->xDelete(g.base, name, sync_dir);
    }
  }
  return SQLITE_IOERR_DELETE;
}

const char* guarded_vfs_name() {
  static std::once_flag once;
  std::call_once(once, [] {
    GuardedVfs& g = guarded();
    g.base = sqlite3_vfs_find(nullptr);
    g.vfs = *g.base;
    g.vfs.pNext = nullptr;
    g.vfs.zName = "gravity-sync";
    g.vfs.xOpen = guarded_open;
    g.vfs.xDelete = guarded_delete;
    sqlite3_vfs_register(&g.vfs, 0);
  });
  return "gravity-sync";
}

// The 8 bytes that end a journal naming a super-journal (and begin every journal header).
constexpr unsigned char kJournalMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};

}  // namespace

Status check_journal(const std::string& path) {
  for (const char* suffix : {"-journal", "-wal"}) {
    const std::string j = path + suffix;
    struct stat st {};
    if (::lstat(j.c_str(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode)) {
      return make_error(ExitCode::refused, j + " is not a regular file; SQLite would block or follow it: not opening " +
                                               path);
    }
    if (std::string(suffix) != "-journal" || st.st_size < 8 + 16) continue;
    Fd fd(::open(j.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    unsigned char tail[8];
    if (fd.valid() && ::pread(fd.get(), tail, sizeof tail, st.st_size - 8) == 8 &&
        std::memcmp(tail, kJournalMagic, sizeof tail) == 0) {
      return make_error(ExitCode::refused, j + " names another file for SQLite to delete when it rolls back (a "
                                               "super-journal); not opening " + path);
    }
  }
  return {};
}

Result<Database> Database::open(const std::string& path, Mode mode, int busy_ms) {
  sqlite3* raw = nullptr;
  const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_NOFOLLOW;
  // SQLITE_OPEN_NOFOLLOW refuses a link in any component of the path; only the file itself
  // must not be one (the pihole user can swap it for a link), so the directory is resolved
  // first: a pihole_dir that is a link to a directory keeps working.
  std::string open_path = path;
  if (const size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
    if (char* dir = ::realpath(path.substr(0, slash).c_str(), nullptr)) {
      open_path = std::string(dir) + path.substr(slash);
      std::free(dir);
    }
  }
  if (auto st = check_journal(open_path); !st) return st.error();
  int rc = sqlite3_open_v2(open_path.c_str(), &raw, flags, guarded_vfs_name());
  Database db(raw, path);
  if (rc != SQLITE_OK) return db.error("cannot open");
  sqlite3_busy_timeout(raw, busy_ms);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  // The mode outlives the call: a static per mode.
  static const Mode modes[] = {Mode::read_only, Mode::read_write, Mode::attach};
  sqlite3_set_authorizer(raw, authorize, const_cast<Mode*>(&modes[static_cast<int>(mode)]));
  return db;
}

Error Database::error(const std::string& what) const {
  const char* msg = db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
  return make_error(ExitCode::failure, what + " " + path_ + ": " + msg);
}

Result<std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, &tail) != SQLITE_OK) {
    return error("query failed on");
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  if (!raw) return make_error(ExitCode::failure, path_ + ": no SQL statement");
  for (const char* p = tail; p && p < sql.data() + sql.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r') {
      return make_error(ExitCode::failure, path_ + ": more than one SQL statement given");
    }
  }
  return stmt;
}

Status Database::exec(std::string_view statement) {
  return each_row(statement, [](std::string_view) {});
}

Status Database::each_row(std::string_view statement, const std::function<void(std::string_view)>& on_row) {
  auto stmt = prepare(statement);
  if (!stmt) return stmt.error();
  for (;;) {
    const int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return error("query failed on");
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt->get(), 0));
    const int len = sqlite3_column_bytes(stmt->get(), 0);
    on_row(text ? std::string_view(text, static_cast<size_t>(len)) : std::string_view());
  }
  return {};
}

Result<std::vector<std::string>> Database::column(std::string_view statement) {
  std::vector<std::string> rows;
  auto st = each_row(statement, [&](std::string_view v) { rows.emplace_back(v); });
  if (!st) return st.error();
  return rows;
}

}  // namespace gs
