#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/fd.hpp"

namespace gs {

// How long a statement waits for a lock another connection holds (a writer finishing), ms;
// the same on the remote node (`.timeout` of its sqlite3, src/remote/lib.sh).
inline constexpr int kBusyTimeoutMs = 5000;

// `text` as an SQL string literal ('it''s').
std::string sql_quote(std::string_view text);

// `names` as a list of SQL string literals for IN (...): 'a','b'.
template <size_t N>
std::string sql_list(const char* const (&names)[N]) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "" : ",") + sql_quote(n);
  return out;
}

// An open SQLite connection. Move-only; closed on destruction.
//
// Every connection is opened without following a symbolic link (SQLITE_OPEN_NOFOLLOW),
// with SQLite's defensive setting on and `trusted_schema` off (a view, trigger or index of
// the file cannot call a function that is not marked innocuous), and an authorizer that
// denies ATTACH, DETACH and every function but a short list of pure ones. A read-only
// connection's authorizer also denies every write. Each call runs exactly one statement:
// SQL with a second statement after the first (a non-empty tail) is an error, so text from
// a file can never smuggle a statement in.
// Refuse to let SQLite near the journal or WAL beside the database `path`: one that is not
// a regular file (a FIFO would block SQLite's open for good), or a journal that names a
// super-journal (rolling it back deletes the file it names). The pihole user can write
// both. ExitCode::refused naming the file. Database::open() checks it first; its VFS also
// refuses to delete any file but a journal or WAL of a database it opened, which closes
// the race between this check and the open for deletion.
Status check_journal(const std::string& path);

class Database {
 public:
  enum class Mode {
    read_only,   // reads only
    read_write,  // our own writes (snapshots we made, the swap lock)
    attach,      // read_write, and ATTACH/DETACH allowed (tables mode, on our own files)
  };

  // Open the existing database file at `path`. A busy timeout of `busy_ms` applies.
  static Result<Database> open(const std::string& path, Mode mode, int busy_ms = kBusyTimeoutMs);

  // Run one statement that returns no rows.
  Status exec(std::string_view statement);

  // Run one statement and return the first column of every row as text (NULL as "").
  Result<std::vector<std::string>> column(std::string_view statement);

  // Run one statement, calling `on_row` with the first column of each row.
  Status each_row(std::string_view statement, const std::function<void(std::string_view)>& on_row);

  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  struct Deleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error error(const std::string& what) const;
  // Prepare exactly one statement; an error when `sql` holds more.
  Result<std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>> prepare(std::string_view sql);

  std::unique_ptr<sqlite3, Deleter> db_;
  std::string path_;
};

}  // namespace gs
