#include "gravity_sync/sqlite/tables.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>

#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/util/fd.hpp"

namespace gs {

namespace {

// Run a generator on `db` and execute what it prints.
Status exec_generated(Database& db, const std::string& generator) {
  auto statements = db.column(generator);
  if (!statements) return statements.error();
  std::string sql;
  for (const auto& s : *statements) sql += s + "\n";
  return db.exec(sql);
}

}  // namespace

const std::string& tables_export_generator_sql() {
  // sqlite_master keeps each CREATE TABLE with its keyword normalised to "CREATE TABLE ",
  // so the rest of the text recreates the table as it is, in x.
  static const std::string sql =
      "SELECT 'CREATE TABLE x.' || substr(sql, 14) || ';' || char(10) || 'INSERT INTO x.\"' || name || "
      "'\" SELECT * FROM main.\"' || name || '\";' FROM main.sqlite_master "
      "WHERE type = 'table' AND name IN (" + sql_list(kConfigTables) + ",'info') AND sql LIKE 'CREATE TABLE %' "
      "ORDER BY name;";
  return sql;
}

const std::string& tables_apply_generator_sql() {
  static const std::string sql =
      "WITH t(name, ord, mapping) AS (VALUES ('group', 1, 0), ('adlist', 2, 0), ('domainlist', 3, 0), "
      "('client', 4, 0), ('domain_audit', 5, 0), ('adlist_by_group', 6, 1), ('domainlist_by_group', 7, 1), "
      "('client_by_group', 8, 1)), "
      "p AS (SELECT t.name, t.ord, t.mapping, (SELECT group_concat('\"' || c.name || '\"', ', ') FROM "
      "(SELECT name FROM pragma_table_info(t.name, 'main') ORDER BY cid) AS c) AS cols FROM t "
      "WHERE t.name IN (SELECT name FROM main.sqlite_master WHERE type = 'table')) "
      "SELECT stmt FROM ("
      "SELECT 0 AS phase, ord, 'DELETE FROM main.\"' || name || '\";' AS stmt FROM p WHERE mapping = 1 "
      "UNION ALL SELECT 1, ord, 'DELETE FROM main.\"' || name || '\";' FROM p WHERE mapping = 0 "
      "UNION ALL SELECT 2, ord, 'INSERT OR REPLACE INTO main.\"' || name || '\" (' || cols || ') SELECT ' || cols || "
      "' FROM x.\"' || name || '\";' FROM p WHERE mapping = 0 "
      "UNION ALL SELECT 3, ord, 'DELETE FROM main.\"' || name || '\";' FROM p WHERE mapping = 1 "
      "UNION ALL SELECT 4, ord, 'INSERT OR REPLACE INTO main.\"' || name || '\" (' || cols || ') SELECT ' || cols || "
      "' FROM x.\"' || name || '\";' FROM p WHERE mapping = 1"
      ") ORDER BY phase, ord;";
  return sql;
}

const std::string& adlists_key_sql() {
  static const std::string sql =
      "SELECT hex(COALESCE((SELECT group_concat(id || ' ' || address || ' ' || enabled, char(10)) FROM "
      "(SELECT id, address, enabled FROM main.adlist ORDER BY id)), ''));";
  return sql;
}

Status export_tables(const std::string& source, const std::string& dest) {
  // Our connections never create files: make the (empty) tables file first, if needed.
  {
    Fd fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return make_error(ExitCode::failure, "cannot create " + dest + ": " + std::strerror(errno));
  }
  // Read-write for the same reason as gravity_digest (recover a hot journal); only x is written.
  auto db = Database::open(source, Database::Mode::read_write);
  if (!db) return db.error();
  // Foreign keys off, as Debian's SQLite has them and Pi-hole's (SQLITE_DEFAULT_FOREIGN_KEYS=1)
  // does not: tables are copied one at a time, referenced ones not always first.
  if (auto st = db->exec("PRAGMA foreign_keys = OFF; ATTACH " + sql_quote(dest) + " AS x; PRAGMA x.page_size = 1024;"); !st) {
    return st.error();
  }
  if (auto st = db->exec("BEGIN"); !st) return st.error();
  if (auto st = exec_generated(*db, tables_export_generator_sql()); !st) {
    (void)db->exec("ROLLBACK");
    return with_context(st.error(), "export of the configuration tables of " + source);
  }
  if (auto st = db->exec("COMMIT; DETACH x;"); !st) return st.error();
  return {};
}

Result<TablesApplied> apply_tables(const std::string& target, const std::string& tables) {
  auto db = Database::open(target, Database::Mode::read_write);
  if (!db) return db.error();
  // Foreign keys off (see export_tables): no ON DELETE CASCADE while the tables are replaced.
  if (auto st = db->exec("PRAGMA foreign_keys = OFF; ATTACH " + sql_quote(tables) + " AS x;"); !st) return st.error();
  if (auto st = db->exec("BEGIN IMMEDIATE"); !st) return st.error();
  auto before = db->column(adlists_key_sql());
  if (!before) return before.error();
  if (auto st = exec_generated(*db, tables_apply_generator_sql()); !st) {
    (void)db->exec("ROLLBACK");
    return make_error(ExitCode::refused, "cannot apply the received configuration tables: " + st.error().message);
  }
  auto after = db->column(adlists_key_sql());
  if (!after) return after.error();
  if (auto st = db->exec("COMMIT; DETACH x;"); !st) return st.error();
  TablesApplied out;
  out.adlists_changed = *before != *after;
  return out;
}

Status verify_tables(const std::string& path, int expected_version, const std::string& digest) {
  {
    auto db = Database::open(path, Database::Mode::read_only);
    if (!db) return make_error(ExitCode::refused, db.error().message);
    auto integrity = db->column("PRAGMA integrity_check;");
    if (!integrity || integrity->size() != 1 || integrity->front() != "ok") {
      return make_error(ExitCode::refused, "integrity check of the received tables failed");
    }
    auto tables = db->column("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (" +
                             sql_list(kConfigTables) + ",'info');");
    // Every table but domain_audit (v5 only) must be there.
    if (!tables || tables->empty() || std::atoi(tables->front().c_str()) < static_cast<int>(std::size(kConfigTables))) {
      return make_error(ExitCode::refused, "the received file does not hold Pi-hole's configuration tables");
    }
  }
  auto got = gravity_digest(path);
  if (!got) return make_error(ExitCode::refused, "the received tables are unreadable: " + got.error().message);
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
