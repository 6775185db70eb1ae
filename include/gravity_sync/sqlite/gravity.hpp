#pragma once

#include <string>

#include "gravity_sync/util/error.hpp"

namespace gs {

// The configuration tables of CONTRACT.md, those Pi-hole's gravity_copy.sql carries.
inline constexpr const char* kConfigTables[] = {"group",  "adlist",          "domainlist",          "client",
                                                "adlist_by_group", "domainlist_by_group", "client_by_group", "domain_audit"};

// Tables every Pi-hole gravity.db has, checked before a received copy is installed.
inline constexpr const char* kRequiredTables[] = {"info",   "group",           "adlist",
                                                  "domainlist", "client", "adlist_by_group",
                                                  "domainlist_by_group", "client_by_group", "gravity"};

// The generator query. Run against a gravity.db it prints, one per row, the statements
// whose output (one text row per configuration row) is hashed for the configuration
// digest. Both nodes run exactly this text; see docs/SYNC.md for the definition.
const std::string& digest_generator_sql();

// SQL that prints one line "VERSION FRESH": info.version and 1 when the database holds
// nothing beyond a fresh Pi-hole install (see docs/SYNC.md), else 0.
const std::string& gravity_meta_sql();

// SQL that prints the names of the required tables that are present, one per row.
std::string required_tables_sql();

// What the digest step learns of a gravity database.
struct GravityDigest {
  std::string sha256;  // the configuration digest
  int schema_version = 0;
  bool fresh = false;
};

// info.version of the database at `path` (0 when there is none).
Result<int> gravity_schema_version(const std::string& path);

// Compute the configuration digest of the database at `path` through the C API,
// producing exactly the bytes the sqlite3 shell prints for the same SQL.
Result<GravityDigest> gravity_digest(const std::string& path);

// Take a consistent copy of the live database `source` into the new file `dest`
// with the online backup API in one step.
Status snapshot_database(const std::string& source, const std::string& dest);

// Check a received copy at `path` before it may replace a live database: PRAGMA
// integrity_check, Pi-hole's tables, and, when `expected_version` > 0, the same
// info.version. ExitCode::refused with what failed.
Status verify_gravity(const std::string& path, int expected_version);

}  // namespace gs
