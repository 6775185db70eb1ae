#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "gravity_sync/util/error.hpp"

namespace gs {

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
class Database {
 public:
  enum class Mode { read_only, read_write };

  // Open the existing database file at `path`. A busy timeout of `busy_ms` applies.
  static Result<Database> open(const std::string& path, Mode mode, int busy_ms = 5000);

  // Run `sql` (one or more statements) that return no rows.
  Status exec(const std::string& sql);

  // Run `sql` and return the first column of every row as text (NULL as "").
  Result<std::vector<std::string>> column(const std::string& sql);

  // Run each statement in `sql` in turn, calling `on_row` with the first column of each row.
  Status each_row(const std::string& sql, const std::function<void(std::string_view)>& on_row);

  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  struct Deleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error error(const std::string& what) const;

  std::unique_ptr<sqlite3, Deleter> db_;
  std::string path_;
};

}  // namespace gs
