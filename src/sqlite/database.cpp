#include "gravity_sync/sqlite/database.hpp"

#include <functional>

namespace gs {

std::string sql_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<Database> Database::open(const std::string& path, Mode mode, int busy_ms) {
  sqlite3* raw = nullptr;
  const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) return db.error("cannot open");
  sqlite3_busy_timeout(raw, busy_ms);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Error Database::error(const std::string& what) const {
  const char* msg = db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
  return make_error(ExitCode::failure, what + " " + path_ + ": " + msg);
}

Status Database::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg ? msg : sqlite3_errmsg(db_.get());
    sqlite3_free(msg);
    return make_error(ExitCode::failure, path_ + ": " + text);
  }
  return {};
}

Status Database::each_row(const std::string& sql, const std::function<void(std::string_view)>& on_row) {
  const char* tail = sql.c_str();
  while (tail && *tail) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), tail, -1, &raw, &tail) != SQLITE_OK) return error("query failed on");
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
    if (!raw) continue;  // whitespace or a comment
    for (;;) {
      int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return error("query failed on");
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
      const int len = sqlite3_column_bytes(raw, 0);
      on_row(text ? std::string_view(text, static_cast<size_t>(len)) : std::string_view());
    }
  }
  return {};
}

Result<std::vector<std::string>> Database::column(const std::string& sql) {
  std::vector<std::string> rows;
  auto st = each_row(sql, [&](std::string_view v) { rows.emplace_back(v); });
  if (!st) return st.error();
  return rows;
}

}  // namespace gs
