#pragma once

#include <string>

#include "gravity_sync/util/error.hpp"

namespace gs {

// `sync.gravity_mode: tables`: only Pi-hole's configuration tables travel, in a small
// SQLite file (the "tables file") that holds each configuration table with its original
// CREATE statement (so keys, columns and the configuration digest are the same) plus
// `info`. The receiver applies it to a snapshot of its own gravity.db in one transaction
// and swaps that in as usual. The SQL is shared by both nodes: the local node runs it
// through the C API, the remote one through `pihole-FTL sqlite3`.

// A generator: run against a live gravity.db that has a new, empty database attached as
// `x`, it prints the statements that create and fill x's copies of the configuration
// tables present and of `info`.
const std::string& tables_export_generator_sql();

// A generator: run against the receiver's snapshot with the tables file attached as `x`,
// it prints the statements that replace the snapshot's configuration tables with x's, as
// Pi-hole's gravity_copy.sql does across a rebuild: rows deleted, entities copied (their
// insert triggers add group-0 mappings), then every mapping replaced by x's. Column lists
// are the receiver's own. Run the output inside one transaction.
const std::string& tables_apply_generator_sql();

// SQL printing one line that identifies the blocklists gravity is built from (id,
// address, enabled of every adlist, hex-encoded): when it changes, the `gravity` table
// no longer matches and the node must rebuild it (`pihole -g`).
const std::string& adlists_key_sql();

// Write the tables file of the live database `source` to the new, empty file `dest`.
Status export_tables(const std::string& source, const std::string& dest);

// What applying a tables file did.
struct TablesApplied {
  bool adlists_changed = false;
};

// Replace the configuration tables of the database at `target` (a private snapshot)
// with those of the tables file `tables`, in one transaction.
Result<TablesApplied> apply_tables(const std::string& target, const std::string& tables);

// Check a received tables file: integrity, the configuration tables and `info`, the
// schema version `expected_version`, and the configuration digest `digest`.
// ExitCode::refused with what failed.
Status verify_tables(const std::string& path, int expected_version, const std::string& digest);

}  // namespace gs
