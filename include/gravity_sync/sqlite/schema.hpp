#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/util/error.hpp"

namespace gs {

// Pi-hole's gravity.db as Pi-hole builds it, per schema version (`info.version`), written
// down here as constants: gravity-sync never builds SQL from a database's own schema or
// content, and refuses a database whose schema objects are not Pi-hole's before anything
// else reads it. Taken from Pi-hole's gravity.db.sql of core v5.18.4 (15), v6.0 (19) and
// v6.2.2 (20); `pihole -g` recreates gravity.db from that template and adds the index
// idx_gravity (gravity.sh), so every node's database has this shape after its weekly
// rebuild.

// A column of a Pi-hole table: name, declared type, position in the primary key (0: none).
struct ColumnDef {
  const char* name;
  const char* type;
  int pk;
};

// A table: its name, its columns in order, and whether it is one of the configuration
// tables of CONTRACT.md (hashed for the digest, carried in tables mode).
struct TableDef {
  const char* name;
  std::vector<ColumnDef> columns;
  bool config;
};

// A trigger or view: its name, the table it belongs to, and the SHA-256 (first 16 hex
// digits) of its CREATE statement with every run of whitespace made one space.
struct ObjectDef {
  const char* name;
  const char* table;
  const char* sql_sha256_16;
};

struct PiholeSchema {
  int version;
  std::vector<TableDef> tables;     // every table Pi-hole creates (sqlite_* not listed)
  std::vector<ObjectDef> triggers;
  std::vector<ObjectDef> views;
};

// The schema of `version`, or nullptr when gravity-sync does not know it.
const PiholeSchema* pihole_schema(int version);

// The versions gravity-sync knows, for messages ("15, 19, 20").
std::string known_schema_versions();

// The versions gravity-sync knows.
std::vector<int> known_schemas();

// The configuration tables of `schema`, in name order (the digest's order).
std::vector<const TableDef*> config_tables(const PiholeSchema& schema);

// The columns of `table` that the configuration digest covers: every column but the
// timestamps and statistics `pihole -g` writes (CONTRACT.md).
std::vector<const ColumnDef*> digest_columns(const TableDef& table);

// One row of what kSchemaObjectsSql prints: an object of sqlite_master.
struct SchemaObject {
  std::string type;  // table, index, trigger, view
  std::string name;
  std::string table;
  std::string sql;   // empty for automatic indexes
};

// One row of what kSchemaColumnsSql prints: a column of a table.
struct SchemaColumn {
  std::string table;
  std::string name;
  std::string type;
  int pk = 0;
  int hidden = 0;
};

// Fixed SQL, the same for every database: every schema object (type, name, tbl_name,
// sql) as lines "~O HEX HEX HEX HEX", and every column of every table (table, name, type,
// pk, hidden) as lines "~C HEX HEX HEX HEX HEX" — the table name an argument of
// pragma_table_xinfo, never SQL text. Hex keeps the bytes the same through the C API and
// the sqlite3 shell; the "~" tag keeps them apart from the digest's lines, none of which
// starts with it. kSchemaVersionSql prints info.version.
extern const char* const kSchemaObjectsSql;
extern const char* const kSchemaColumnsSql;
extern const char* const kSchemaVersionSql;

// Parse the lines of kSchemaObjectsSql / kSchemaColumnsSql in `printed` (other lines are
// ignored). ExitCode::refused when such a line is malformed.
Result<std::vector<SchemaObject>> parse_schema_objects(std::string_view printed);
Result<std::vector<SchemaColumn>> parse_schema_columns(std::string_view printed);

// What kind of file a schema check expects.
enum class SchemaKind {
  gravity_db,   // a gravity.db: every table, trigger and view of Pi-hole's schema
  tables_file,  // a tables file (tables.hpp): the configuration tables and `info` only
};

// Check that `objects` and `columns` are exactly Pi-hole's schema `version` (plus SQLite's
// own sqlite_* tables and automatic indexes, and gravity.sh's idx_gravity): every table
// with its columns, every trigger and view with its statement, nothing else. Returns the
// schema. ExitCode::refused naming the first difference (`what` names the database).
Result<const PiholeSchema*> check_schema(const std::string& what, int version, const std::vector<SchemaObject>& objects,
                                         const std::vector<SchemaColumn>& columns,
                                         SchemaKind kind = SchemaKind::gravity_db);

// The table named `name` of `schema`, or nullptr.
const TableDef* find_table(const PiholeSchema& schema, std::string_view name);

// The SQL that prints the configuration digest's lines for `schema` (docs/SYNC.md), built
// only from the constants above: for each configuration table in name order,
// "SELECT '#TABLE';" then "SELECT 'TABLE '||hex(quote(c1)||','||...) FROM "TABLE" ORDER BY
// KEY;". One statement per line.
std::vector<std::string> digest_statements(const PiholeSchema& schema);

// The same statements joined, for the sqlite3 shell (one argument).
std::string digest_sql(const PiholeSchema& schema);

}  // namespace gs
