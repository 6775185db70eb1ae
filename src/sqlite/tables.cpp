#include "gravity_sync/sqlite/tables.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <functional>

#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/util/fd.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

std::string ident(std::string_view name) { return "\"" + std::string(name) + "\""; }

// The tables a tables file holds, in the order they are written and applied: entities
// first, then their group mappings (which refer to them).
std::vector<const TableDef*> carried_tables(const PiholeSchema& schema) {
  std::vector<const TableDef*> out;
  for (const TableDef* t : config_tables(schema)) {
    if (std::string_view(t->name).find("_by_group") == std::string_view::npos) out.push_back(t);
  }
  for (const TableDef* t : config_tables(schema)) {
    if (std::string_view(t->name).find("_by_group") != std::string_view::npos) out.push_back(t);
  }
  if (const TableDef* info = find_table(schema, "info")) out.push_back(info);
  return out;
}

bool is_mapping(const TableDef& t) { return std::string_view(t.name).find("_by_group") != std::string_view::npos; }

std::string column_list(const TableDef& t) {
  std::string out;
  for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + ident(c.name);
  return out;
}

std::string create_sql(const TableDef& t) {
  std::string cols, key;
  for (const auto& c : t.columns) cols += (cols.empty() ? "" : ", ") + ident(c.name) + " " + c.type;
  std::vector<const ColumnDef*> pk;
  for (const auto& c : t.columns) {
    if (c.pk > 0) pk.push_back(&c);
  }
  std::sort(pk.begin(), pk.end(), [](const ColumnDef* a, const ColumnDef* b) { return a->pk < b->pk; });
  for (const ColumnDef* c : pk) key += (key.empty() ? "" : ", ") + ident(c->name);
  return "CREATE TABLE " + ident(t.name) + " (" + cols + (key.empty() ? "" : ", PRIMARY KEY (" + key + ")") + ");";
}

std::string insert_sql(const TableDef& t) {
  std::string marks;
  for (size_t i = 0; i < t.columns.size(); ++i) marks += i ? ", ?" : "?";
  return "INSERT OR REPLACE INTO " + ident(t.name) + " (" + column_list(t) + ") VALUES (" + marks + ");";
}

// A prepared statement of `db`, or its error.
using Stmt = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;
Result<Stmt> prepare_one(Database& db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, &tail) != SQLITE_OK || !raw || (tail && *tail)) {
    Stmt dropped(raw, &sqlite3_finalize);
    return make_error(ExitCode::failure, db.path() + ": " + sqlite3_errmsg(db.get()));
  }
  return Stmt(raw, &sqlite3_finalize);
}

// Create the tables of `schema` in the new file `dest` and fill them: `fill` gets each
// table with the prepared INSERT of all its columns (bind, then insert_row()).
using Filler = std::function<Status(const TableDef&, sqlite3_stmt* insert)>;
Status write_tables_file(const PiholeSchema& schema, const std::string& dest, const Filler& fill) {
  {
    // Our connections never create files: make the (empty) tables file first.
    Fd fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return make_error(ExitCode::failure, "cannot create " + dest + ": " + std::strerror(errno));
  }
  auto out = Database::open(dest, Database::Mode::read_write);
  if (!out) return out.error();
  for (const char* sql : {"PRAGMA page_size = 1024;", "PRAGMA journal_mode = OFF;", "BEGIN;"}) {
    if (auto st = out->exec(sql); !st) return st;
  }
  for (const TableDef* t : carried_tables(schema)) {
    if (auto st = out->exec(create_sql(*t)); !st) return st;
    auto insert = prepare_one(*out, insert_sql(*t));
    if (!insert) return insert.error();
    if (auto st = fill(*t, insert->get()); !st) return st;
  }
  return out->exec("COMMIT;");
}

Status insert_row(sqlite3_stmt* insert) {
  const int rc = sqlite3_step(insert);
  sqlite3* db = sqlite3_db_handle(insert);
  sqlite3_reset(insert);
  sqlite3_clear_bindings(insert);
  if (rc != SQLITE_DONE) return make_error(ExitCode::failure, std::string("cannot write a row: ") + sqlite3_errmsg(db));
  return {};
}

// Decode "i:HEX" / "t:HEX" / "b:HEX" / "n:" into a value bound to `stmt` at `index`.
Status bind_dumped(sqlite3_stmt* stmt, int index, std::string_view field) {
  if (field.size() < 2 || field[1] != ':') return make_error(ExitCode::refused, "malformed value in the dump");
  const std::string_view hex = field.substr(2);
  if (hex.size() % 2 != 0) return make_error(ExitCode::refused, "malformed value in the dump");
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return make_error(ExitCode::refused, "malformed value in the dump");
    bytes.push_back(static_cast<char>(v));
  }
  switch (field[0]) {
    case 'n':
      if (!bytes.empty()) break;
      sqlite3_bind_null(stmt, index);
      return {};
    case 'i': {
      int64_t n = 0;
      const auto [p, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), n);
      if (ec != std::errc() || p != bytes.data() + bytes.size() || bytes.empty()) break;
      sqlite3_bind_int64(stmt, index, n);
      return {};
    }
    case 't':
      sqlite3_bind_text(stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
      return {};
    case 'b':
      sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
      return {};
    default: break;
  }
  return make_error(ExitCode::refused, "malformed value in the dump");
}

}  // namespace

std::string table_dump_sql(const PiholeSchema& schema) {
  std::string out;
  for (const TableDef* t : carried_tables(schema)) {
    std::string fields;
    for (const auto& c : t->columns) {
      // typeof() is integer, text, blob, null or real; its first letter names it.
      fields += " || ' ' || substr(typeof(" + ident(c.name) + "), 1, 1) || ':' || hex(" + ident(c.name) + ")";
    }
    out += "SELECT '" + std::string(t->name) + "'" + fields + " FROM " + ident(t->name) + ";\n";
  }
  return out;
}

Status export_tables(const std::string& source, const std::string& dest) {
  if (auto st = recover_hot_journal(source); !st) return st;
  auto src = Database::open(source, Database::Mode::read_only);
  if (!src) return src.error();
  // One read transaction: every table from the same state.
  if (auto st = src->exec("BEGIN;"); !st) return st;
  auto schema = checked_schema(*src, source);
  if (!schema) return schema.error();
  auto st = write_tables_file(**schema, dest, [&](const TableDef& t, sqlite3_stmt* insert) -> Status {
    auto select = prepare_one(*src, "SELECT " + column_list(t) + " FROM " + ident(t.name) + ";");
    if (!select) return select.error();
    for (;;) {
      const int rc = sqlite3_step(select->get());
      if (rc == SQLITE_DONE) return {};
      if (rc != SQLITE_ROW) return make_error(ExitCode::failure, source + ": " + sqlite3_errmsg(src->get()));
      for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
        sqlite3_bind_value(insert, i + 1, sqlite3_column_value(select->get(), i));
      }
      if (auto s = insert_row(insert); !s) return s;
    }
  });
  (void)src->exec("COMMIT;");
  if (!st) return with_context(st.error(), "export of the configuration tables of " + source);
  return {};
}

Status tables_from_dump(const PiholeSchema& schema, std::string_view dump, const std::string& dest) {
  // Each line: TABLE FIELD... (table_dump_sql()). Checked whole before anything is written.
  std::vector<std::pair<const TableDef*, std::vector<std::string_view>>> rows;
  size_t start = 0;
  while (start < dump.size()) {
    size_t end = dump.find('\n', start);
    if (end == std::string_view::npos) end = dump.size();
    const std::string_view line = dump.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    std::vector<std::string_view> words;
    size_t w = 0;
    while (w <= line.size()) {
      size_t sp = line.find(' ', w);
      if (sp == std::string_view::npos) sp = line.size();
      words.push_back(line.substr(w, sp - w));
      w = sp + 1;
    }
    const TableDef* t = find_table(schema, words.front());
    if (!t || (!t->config && std::string_view(t->name) != "info") || words.size() != t->columns.size() + 1) {
      return make_error(ExitCode::refused, "the configuration dump holds a line that is not a row of Pi-hole's tables");
    }
    rows.emplace_back(t, std::vector<std::string_view>(words.begin() + 1, words.end()));
  }
  return write_tables_file(schema, dest, [&](const TableDef& t, sqlite3_stmt* insert) -> Status {
    for (const auto& [table, fields] : rows) {
      if (table != &t) continue;
      for (size_t i = 0; i < fields.size(); ++i) {
        if (auto st = bind_dumped(insert, static_cast<int>(i + 1), fields[i]); !st) return st;
      }
      if (auto st = insert_row(insert); !st) return st;
    }
    return {};
  });
}

const std::string& adlists_key_sql() {
  static const std::string sql =
      "SELECT hex(COALESCE((SELECT group_concat(id || ' ' || address || ' ' || enabled, char(10)) FROM "
      "(SELECT id, address, enabled FROM main.adlist ORDER BY id)), ''));";
  return sql;
}

std::string tables_apply_sql(const PiholeSchema& schema) {
  // gravity_copy.sql's order: mappings and entities emptied, entities copied (their insert
  // triggers add group-0 mappings), mappings emptied again and copied.
  std::string out;
  const auto tables = carried_tables(schema);
  for (const TableDef* t : tables) {
    if (is_mapping(*t)) out += "DELETE FROM main." + ident(t->name) + ";\n";
  }
  for (const TableDef* t : tables) {
    if (t->config && !is_mapping(*t)) out += "DELETE FROM main." + ident(t->name) + ";\n";
  }
  for (const TableDef* t : tables) {
    if (t->config && !is_mapping(*t)) {
      out += "INSERT OR REPLACE INTO main." + ident(t->name) + " (" + column_list(*t) + ") SELECT " + column_list(*t) +
             " FROM x." + ident(t->name) + ";\n";
    }
  }
  for (const TableDef* t : tables) {
    if (is_mapping(*t)) {
      out += "DELETE FROM main." + ident(t->name) + ";\n";
      out += "INSERT OR REPLACE INTO main." + ident(t->name) + " (" + column_list(*t) + ") SELECT " + column_list(*t) +
             " FROM x." + ident(t->name) + ";\n";
    }
  }
  return out;
}

Result<TablesApplied> apply_tables(const std::string& target, const std::string& tables) {
  auto db = Database::open(target, Database::Mode::attach);
  if (!db) return db.error();
  auto schema = checked_schema(*db, target);
  if (!schema) return schema.error();
  // Foreign keys off, as Debian's SQLite has them and Pi-hole's (SQLITE_DEFAULT_FOREIGN_KEYS=1)
  // does not: no ON DELETE CASCADE while the tables are replaced.
  for (const std::string& sql : {std::string("PRAGMA foreign_keys = OFF;"), "ATTACH " + sql_quote(tables) + " AS x;",
                                 std::string("BEGIN IMMEDIATE;")}) {
    if (auto st = db->exec(sql); !st) return st.error();
  }
  auto before = db->column(adlists_key_sql());
  if (!before) return before.error();
  const std::string steps = tables_apply_sql(**schema);
  size_t start = 0;
  while (start < steps.size()) {
    const size_t end = steps.find('\n', start);
    if (auto st = db->exec(std::string_view(steps).substr(start, end - start)); !st) {
      (void)db->exec("ROLLBACK;");
      return make_error(ExitCode::refused, "cannot apply the received configuration tables: " + st.error().message);
    }
    start = end + 1;
  }
  auto after = db->column(adlists_key_sql());
  if (!after) return after.error();
  for (const char* sql : {"COMMIT;", "DETACH x;"}) {
    if (auto st = db->exec(sql); !st) return st.error();
  }
  TablesApplied out;
  out.adlists_changed = *before != *after;
  return out;
}

Result<TablesDigest> tables_file_digest(const std::string& path) {
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return make_error(ExitCode::refused, db.error().message);
  auto schema = checked_schema(*db, "the tables file", SchemaKind::tables_file);
  if (!schema) return schema.error();
  auto digest = configuration_digest(*db, **schema);
  if (!digest) return make_error(ExitCode::refused, "the tables file is unreadable: " + digest.error().message);
  return TablesDigest{*digest, (*schema)->version};
}

Status verify_tables(const std::string& path, int expected_version, const std::string& digest) {
  {
    auto db = Database::open(path, Database::Mode::read_only);
    if (!db) return make_error(ExitCode::refused, db.error().message);
    auto integrity = db->column("PRAGMA integrity_check;");
    if (!integrity || integrity->size() != 1 || integrity->front() != "ok") {
      return make_error(ExitCode::refused, "integrity check of the received tables failed");
    }
  }
  auto got = tables_file_digest(path);
  if (!got) return got.error();
  if (expected_version > 0 && got->schema_version != expected_version) {
    return make_error(ExitCode::refused, "schema version " + std::to_string(got->schema_version) +
                                             " differs from the live database's " + std::to_string(expected_version) +
                                             "; update Pi-hole on both nodes to the same version first");
  }
  if (got->sha256 != digest) {
    return make_error(ExitCode::refused, "the received tables do not have the configuration digest the sender announced");
  }
  return {};
}

}  // namespace gs
