#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/sqlite/schema.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// `sync.gravity_mode: tables`: only Pi-hole's configuration tables travel, in a small
// SQLite file (the "tables file") that holds each configuration table of the schema and
// `info`, with Pi-hole's columns (schema.hpp) — so keys, columns and the configuration
// digest are those of the database it came from. Nothing in it is SQL: gravity-sync
// creates its tables from its own constants and copies every value as a bound parameter.
// The receiver applies it to a snapshot of its own gravity.db in one transaction and
// swaps that in as usual.

// A configuration row as the dump of a remote database prints it (table_dump_sql()): the
// table, then each column as TYPE:HEX (i: integer, t: text, b: blob, n: null; HEX the
// bytes of its text or blob).
struct DumpedRow {
  std::string table;
  std::vector<std::string> fields;  // "i:3132", "t:6e6173", "n:"
};

// Fixed SQL (one statement per line) that prints every row of the configuration tables
// of `schema` and of `info` as one line each: "TABLE i:HEX t:HEX ...", columns in Pi-hole's
// order. Run read-only; nothing of the database becomes SQL.
std::string table_dump_sql(const PiholeSchema& schema);

// Write the tables file of the live database `source` (read-only, its schema checked) to
// the new, empty file `dest`.
Status export_tables(const std::string& source, const std::string& dest);

// Write the tables file for `schema` from the dump lines in `dump` (what table_dump_sql()
// printed on another node) to the new, empty file `dest`. ExitCode::refused when a line is
// not a row of a configuration table or `info` of that schema.
Status tables_from_dump(const PiholeSchema& schema, std::string_view dump, const std::string& dest);

// What applying a tables file did.
struct TablesApplied {
  bool adlists_changed = false;
};

// Replace the configuration tables of the database at `target` (a private snapshot; its
// schema checked) with those of the tables file `tables` (checked by verify_tables), in one
// transaction, as Pi-hole's gravity_copy.sql carries them across a rebuild: rows deleted,
// entities copied (their insert triggers add group-0 mappings), then every mapping
// replaced.
Result<TablesApplied> apply_tables(const std::string& target, const std::string& tables);

// SQL printing one line that identifies the blocklists gravity is built from (id,
// address, enabled of every adlist, hex-encoded): when it changes, the `gravity` table
// no longer matches and the node must rebuild it (`pihole -g`).
const std::string& adlists_key_sql();

// The SQL, for the sqlite3 shell on another node, that applies a tables file attached as
// `x` to the database opened as main, for `schema` (the same steps as apply_tables). Built
// only from constants. Run inside one transaction.
std::string tables_apply_sql(const PiholeSchema& schema);

// The configuration digest and schema version of the tables file at `path`, its schema
// checked first. ExitCode::refused when it is not a tables file of a known schema.
struct TablesDigest {
  std::string sha256;
  int schema_version = 0;
};
Result<TablesDigest> tables_file_digest(const std::string& path);

// Check a received tables file: integrity, exactly the configuration tables and `info` of
// schema `expected_version` with Pi-hole's columns, and the configuration digest `digest`.
// ExitCode::refused with what failed.
Status verify_tables(const std::string& path, int expected_version, const std::string& digest);

}  // namespace gs
