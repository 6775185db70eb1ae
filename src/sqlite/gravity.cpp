#include "gravity_sync/sqlite/gravity.hpp"

#include <charconv>
#include <optional>
#include <sys/stat.h>

#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

// The installer's default adlist: a node with only this list has no adlists of its own.
constexpr const char* kInstallerAdlist = "https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts";

}  // namespace

const std::string& gravity_fresh_sql() {
  static const std::string sql =
      "SELECT CASE WHEN (SELECT count(*) FROM domainlist) = 0 AND (SELECT count(*) FROM client) = 0 "
      "AND (SELECT count(*) FROM \"group\" WHERE id <> 0) = 0 "
      "AND (SELECT count(*) FROM adlist WHERE address <> '" +
      std::string(kInstallerAdlist) + "') = 0 THEN 1 ELSE 0 END;";
  return sql;
}

const std::string& gravity_fresh_tagged_sql() {
  static const std::string sql = [] {
    std::string inner = gravity_fresh_sql();
    inner.pop_back();  // the ';'
    return "SELECT '~F ' || (" + inner + ");";
  }();
  return sql;
}

Result<ListedGravity> check_gravity_listing(const std::string& what, std::string_view listing) {
  int version = 0;
  std::optional<bool> fresh;
  size_t start = 0;
  while (start < listing.size()) {
    size_t end = listing.find('\n', start);
    if (end == std::string_view::npos) end = listing.size();
    const std::string_view line = listing.substr(start, end - start);
    start = end + 1;
    if (line.rfind("~V ", 0) == 0) {
      std::string text;
      const std::string_view hex = line.substr(3);
      for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        unsigned v = 0;
        if (std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16).ec != std::errc()) break;
        text.push_back(static_cast<char>(v));
      }
      version = parse_schema_version(text);
    } else if (line == "~F 0" || line == "~F 1") {
      fresh = line == "~F 1";
    }
  }
  auto objects = parse_schema_objects(listing);
  auto columns = parse_schema_columns(listing);
  if (!objects || !columns) return make_error(ExitCode::refused, what + ": unreadable schema listing");
  auto schema = check_schema(what, version, *objects, *columns);
  if (!schema) return schema.error();
  if (!fresh) return make_error(ExitCode::refused, what + ": incomplete answer (no freshness)");
  return ListedGravity{version, *fresh};
}

int parse_schema_version(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  int v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size() && v > 0 ? v : 0;
}

Result<const PiholeSchema*> checked_schema(Database& db, const std::string& what, SchemaKind kind) {
  std::string listing;
  for (const char* sql : {kSchemaObjectsSql, kSchemaColumnsSql}) {
    auto st = db.each_row(sql, [&](std::string_view row) { listing.append(row).push_back('\n'); });
    if (!st) return make_error(ExitCode::refused, what + " is not a readable SQLite database: " + st.error().message);
  }
  auto objects = parse_schema_objects(listing);
  auto columns = parse_schema_columns(listing);
  if (!objects || !columns) return make_error(ExitCode::refused, what + ": unreadable schema");
  // info must be Pi-hole's two-column table before its version is read.
  bool info_table = false;
  for (const auto& o : *objects) info_table = info_table || (o.type == "table" && o.name == "info");
  int info_columns = 0;
  for (const auto& c : *columns) info_columns += c.table == "info";
  if (!info_table || info_columns != 2) {
    return make_error(ExitCode::refused, what + " is not a Pi-hole gravity database (no info table)");
  }
  auto version = db.column(kSchemaVersionSql);
  if (!version) return make_error(ExitCode::refused, what + " is not a Pi-hole gravity database: " + version.error().message);
  const int v = version->size() == 1 ? parse_schema_version(version->front()) : 0;
  return check_schema(what, v, *objects, *columns, kind);
}

Result<std::string> configuration_digest(Database& db, const PiholeSchema& schema) {
  Sha256 sha;
  for (const auto& statement : digest_statements(schema)) {
    auto st = db.each_row(statement, [&](std::string_view row) {
      sha.update(row);
      sha.update("\n", 1);
    });
    if (!st) return st.error();
  }
  return sha.hex_digest();
}

Result<int> gravity_schema_version(const std::string& path) {
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return db.error();
  auto schema = checked_schema(*db, path);
  if (!schema) return schema.error();
  return (*schema)->version;
}

Status recover_hot_journal(const std::string& path) {
  auto left = [&](const char* suffix) {
    struct stat st {};
    return ::lstat((path + suffix).c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  };
  if (!left("-journal") && !left("-wal")) return {};
  // Taking the write lock makes SQLite roll a journal back into the file (a WAL is read and
  // checkpointed, and removed when the connection closes); no statement of the database
  // runs, and nothing is written but the recovery.
  auto db = Database::open(path, Database::Mode::read_write, 10'000);
  if (!db) return db.error();
  if (auto s = db->exec("BEGIN IMMEDIATE;"); !s) return s;
  return db->exec("ROLLBACK;");
}

Result<GravityDigest> gravity_digest(const std::string& path) {
  if (auto st = recover_hot_journal(path); !st) return st.error();
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return db.error();
  // One read transaction, so the schema, the digest and the metadata describe one state.
  if (auto st = db->exec("BEGIN;"); !st) return st.error();
  auto schema = checked_schema(*db, path);
  if (!schema) return schema.error();
  auto digest = configuration_digest(*db, **schema);
  if (!digest) return digest.error();
  auto fresh = db->column(gravity_fresh_sql());
  if (!fresh) return make_error(ExitCode::refused, path + " is not a Pi-hole gravity database: " + fresh.error().message);
  (void)db->exec("COMMIT;");  // a read transaction: ending it cannot lose anything
  GravityDigest out;
  out.sha256 = *digest;
  out.schema_version = (*schema)->version;
  out.fresh = fresh->size() == 1 && fresh->front() == "1";
  return out;
}

Status snapshot_database(const std::string& source, const std::string& dest) {
  if (auto st = recover_hot_journal(source); !st) return st;
  auto src = Database::open(source, Database::Mode::read_only);
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
  // The copy keeps the source's header, WAL mode included; what a node receives is in
  // Pi-hole's own rollback-journal mode (a WAL database never spreads to the other node).
  char* err = nullptr;
  if (sqlite3_exec(dst.get(), "PRAGMA journal_mode = DELETE;", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return make_error(ExitCode::failure, "cannot set the snapshot of " + source + " to journal_mode DELETE: " + msg);
  }
  return {};
}

Status verify_gravity(const std::string& path, int expected_version) {
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return make_error(ExitCode::refused, db.error().message);
  auto integrity = db->column("PRAGMA integrity_check;");
  if (!integrity) return make_error(ExitCode::refused, "integrity check failed: " + integrity.error().message);
  if (integrity->size() != 1 || integrity->front() != "ok") {
    return make_error(ExitCode::refused,
                      "integrity check failed: " + (integrity->empty() ? "" : printable(integrity->front(), 200)));
  }
  auto schema = checked_schema(*db, "the received copy");
  if (!schema) return schema.error();
  const int v = (*schema)->version;
  if (expected_version > 0 && v != expected_version) {
    return make_error(ExitCode::refused, "schema version " + std::to_string(v) + " differs from the live database's " +
                                             std::to_string(expected_version) +
                                             "; update Pi-hole on both nodes to the same version first");
  }
  return {};
}

}  // namespace gs
