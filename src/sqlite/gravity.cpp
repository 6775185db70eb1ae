#include "gravity_sync/sqlite/gravity.hpp"

#include <set>

#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/util/sha256.hpp"

namespace gs {

namespace {

// The installer's default adlist: a node with only this list has no adlists of its own.
constexpr const char* kInstallerAdlist = "https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts";

}  // namespace

const std::string& digest_generator_sql() {
  // For each configuration table present, in name order: a header statement, then one
  // SELECT printing "table HEX" per row in primary-key order, where HEX is
  // hex(quote(c1)||','||quote(c2)...) over every column but the excluded ones, in
  // column order. Hex keeps the shell's output byte-identical to the C API's.
  static const std::string sql =
      "SELECT 'SELECT ''#' || m.name || ''';' || char(10) || "
      "'SELECT ''' || m.name || ' ''||hex(' || "
      "(SELECT group_concat('quote(\"' || c.name || '\")', '||'',''||') FROM "
      "(SELECT name FROM pragma_table_info(m.name) WHERE name NOT IN "
      "('date_added','date_modified','date_updated','number','invalid_domains','status','abp_entries') "
      "ORDER BY cid) AS c) || ') FROM \"' || m.name || '\" ORDER BY ' || "
      "COALESCE((SELECT group_concat('\"' || k.name || '\"', ',') FROM "
      "(SELECT name FROM pragma_table_info(m.name) WHERE pk > 0 ORDER BY pk) AS k), '1') || ';' "
      "FROM sqlite_master AS m WHERE m.type = 'table' AND m.name IN (" +
      sql_list(kConfigTables) + ") ORDER BY m.name;";
  return sql;
}

const std::string& gravity_meta_sql() {
  static const std::string sql =
      "SELECT (SELECT value FROM info WHERE property = 'version') || ' ' || "
      "CASE WHEN (SELECT count(*) FROM domainlist) = 0 AND (SELECT count(*) FROM client) = 0 "
      "AND (SELECT count(*) FROM \"group\" WHERE id <> 0) = 0 "
      "AND (SELECT count(*) FROM adlist WHERE address <> '" +
      std::string(kInstallerAdlist) + "') = 0 THEN 1 ELSE 0 END;";
  return sql;
}

std::string required_tables_sql() {
  return "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (" +
         sql_list(kRequiredTables) + ") ORDER BY name;";
}

Result<int> gravity_schema_version(const std::string& path) {
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return db.error();
  auto version = db->column("SELECT value FROM info WHERE property = 'version';");
  if (!version) return make_error(ExitCode::refused, path + " is not a Pi-hole gravity database: " + version.error().message);
  return version->empty() ? 0 : std::atoi(version->front().c_str());
}

Result<GravityDigest> gravity_digest(const std::string& path) {
  // Read-write, though nothing is written: a hot journal left by a crashed writer must
  // be rolled back into this file (SQLite's own recovery) before it can be read.
  auto db = Database::open(path, Database::Mode::read_write);
  if (!db) return db.error();
  // One read transaction, so the digest and the metadata describe the same state.
  if (auto st = db->exec("BEGIN"); !st) return st.error();
  auto statements = db->column(digest_generator_sql());
  if (!statements) return statements.error();
  std::string generated;
  for (const auto& s : *statements) generated += s + "\n";
  Sha256 sha;
  auto st = db->each_row(generated, [&](std::string_view row) {
    sha.update(row);
    sha.update("\n", 1);
  });
  if (!st) return st.error();
  auto meta = db->column(gravity_meta_sql());
  if (!meta) return make_error(ExitCode::refused, path + " is not a Pi-hole gravity database: " + meta.error().message);
  (void)db->exec("COMMIT");  // a read transaction: ending it cannot lose anything
  GravityDigest out;
  out.sha256 = sha.hex_digest();
  if (!meta->empty()) {
    const std::string& line = meta->front();
    out.schema_version = std::atoi(line.c_str());
    out.fresh = line.size() >= 2 && line.back() == '1';
  }
  return out;
}

Status snapshot_database(const std::string& source, const std::string& dest) {
  // Read-write for the same reason as gravity_digest: recover a hot journal first.
  auto src = Database::open(source, Database::Mode::read_write);
  if (!src) return src.error();
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(dest.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return make_error(ExitCode::failure, "cannot create snapshot " + dest + ": " + msg);
  }
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> dst(raw, &sqlite3_close_v2);
  sqlite3_backup* backup = sqlite3_backup_init(dst.get(), "main", src->get(), "main");
  if (!backup) return make_error(ExitCode::failure, "cannot start snapshot of " + source + ": " + sqlite3_errmsg(dst.get()));
  // One step copies everything under one read lock: a steady writer cannot restart it.
  int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return make_error(rc == SQLITE_FULL ? ExitCode::refused : ExitCode::failure,
                      "snapshot of " + source + " failed: " + sqlite3_errstr(rc));
  }
  return {};
}

Status verify_gravity(const std::string& path, int expected_version) {
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return make_error(ExitCode::refused, db.error().message);
  auto integrity = db->column("PRAGMA integrity_check;");
  if (!integrity) return make_error(ExitCode::refused, "integrity check failed: " + integrity.error().message);
  if (integrity->size() != 1 || integrity->front() != "ok") {
    return make_error(ExitCode::refused, "integrity check failed: " + (integrity->empty() ? "" : integrity->front()));
  }
  auto tables = db->column(required_tables_sql());
  if (!tables) return make_error(ExitCode::refused, tables.error().message);
  std::set<std::string> present(tables->begin(), tables->end());
  std::string missing;
  for (const char* t : kRequiredTables) {
    if (!present.count(t)) missing += std::string(missing.empty() ? "" : ", ") + t;
  }
  if (!missing.empty()) return make_error(ExitCode::refused, "not a Pi-hole gravity database (missing tables: " + missing + ")");
  auto version = db->column("SELECT value FROM info WHERE property = 'version';");
  if (!version || version->empty()) return make_error(ExitCode::refused, "no schema version in info table");
  const int v = std::atoi(version->front().c_str());
  if (expected_version > 0 && v != expected_version) {
    return make_error(ExitCode::refused, "schema version " + std::to_string(v) + " differs from the live database's " +
                                             std::to_string(expected_version) +
                                             "; update Pi-hole on both nodes to the same version first");
  }
  return {};
}

}  // namespace gs
