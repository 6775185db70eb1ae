#pragma once

#include <string>

#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/schema.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// SQL that prints one line "FRESH": 1 when the database holds nothing beyond a fresh
// Pi-hole install (see docs/SYNC.md), else 0. Fixed text, the same for every schema.
const std::string& gravity_fresh_sql();

// gravity_fresh_sql() tagged for a listing: prints "~F 0" or "~F 1".
const std::string& gravity_fresh_tagged_sql();

// What a listing of another node's gravity.db says, once checked.
struct ListedGravity {
  int version = 0;
  bool fresh = false;
};

// Check the listing another node printed for its gravity.db (`what` names it): the lines
// "~V HEX" (info.version, hex), "~O ..." and "~C ..." (kSchemaObjectsSql,
// kSchemaColumnsSql) and "~F 0|1" (gravity_fresh_tagged_sql). ExitCode::refused when the
// schema is not Pi-hole's for that version, or a line is missing or malformed.
Result<ListedGravity> check_gravity_listing(const std::string& what, std::string_view listing);

// What the digest step learns of a gravity database.
struct GravityDigest {
  std::string sha256;  // the configuration digest
  int schema_version = 0;
  bool fresh = false;
};

// The schema of the open database `db` (`what` names it in messages), checked against
// Pi-hole's own for its info.version (schema.hpp) before anything else is read from it.
Result<const PiholeSchema*> checked_schema(Database& db, const std::string& what,
                                           SchemaKind kind = SchemaKind::gravity_db);

// info.version as printed (kSchemaVersionSql), or 0 when it is not a positive number.
int parse_schema_version(std::string_view text);

// The configuration digest of `db`, whose schema is `schema` (digest_statements()).
Result<std::string> configuration_digest(Database& db, const PiholeSchema& schema);

// info.version of the database at `path` (0 when there is none), after checking it is
// Pi-hole's gravity database of that version.
Result<int> gravity_schema_version(const std::string& path);

// Roll back a hot journal (or take in a WAL) a crashed writer left beside the live database
// at `path` (SQLite does it when a connection takes the write lock; no statement of the
// file runs). Nothing happens when there is none.
Status recover_hot_journal(const std::string& path);

// Compute the configuration digest of the database at `path` through the C API, read-only,
// producing exactly the bytes the sqlite3 shell prints for the same SQL (digest_sql()).
Result<GravityDigest> gravity_digest(const std::string& path);

// Take a consistent copy of the live database `source` into the new file `dest`
// with the online backup API in one step.
Status snapshot_database(const std::string& source, const std::string& dest);

// Check a received copy at `path` before it may replace a live database: PRAGMA
// integrity_check, Pi-hole's schema for its version, and, when `expected_version` > 0,
// that version. ExitCode::refused with what failed.
Status verify_gravity(const std::string& path, int expected_version);

}  // namespace gs
