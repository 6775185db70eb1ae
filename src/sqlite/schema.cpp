#include "gravity_sync/sqlite/schema.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "gravity_sync/util/bytes.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

// Columns of the tables every supported schema has.
const std::vector<ColumnDef> kGroupColumns{{"id", "INTEGER", 1},       {"enabled", "BOOLEAN", 0},
                                           {"name", "TEXT", 0},        {"date_added", "INTEGER", 0},
                                           {"date_modified", "INTEGER", 0}, {"description", "TEXT", 0}};
const std::vector<ColumnDef> kDomainlistColumns{{"id", "INTEGER", 1},         {"type", "INTEGER", 0},
                                                {"domain", "TEXT", 0},        {"enabled", "BOOLEAN", 0},
                                                {"date_added", "INTEGER", 0}, {"date_modified", "INTEGER", 0},
                                                {"comment", "TEXT", 0}};
const std::vector<ColumnDef> kClientColumns{{"id", "INTEGER", 1},
                                            {"ip", "TEXT", 0},
                                            {"date_added", "INTEGER", 0},
                                            {"date_modified", "INTEGER", 0},
                                            {"comment", "TEXT", 0}};
const std::vector<ColumnDef> kAdlistColumns15{{"id", "INTEGER", 1},           {"address", "TEXT", 0},
                                              {"enabled", "BOOLEAN", 0},      {"date_added", "INTEGER", 0},
                                              {"date_modified", "INTEGER", 0}, {"comment", "TEXT", 0},
                                              {"date_updated", "INTEGER", 0}, {"number", "INTEGER", 0},
                                              {"invalid_domains", "INTEGER", 0}, {"status", "INTEGER", 0}};
std::vector<ColumnDef> adlist_columns_6() {
  std::vector<ColumnDef> c = kAdlistColumns15;
  c.push_back({"abp_entries", "INTEGER", 0});
  c.push_back({"type", "INTEGER", 0});
  return c;
}
std::vector<ColumnDef> mapping(const char* key) { return {{key, "INTEGER", 1}, {"group_id", "INTEGER", 2}}; }
const std::vector<ColumnDef> kGravityColumns{{"domain", "TEXT", 0}, {"adlist_id", "INTEGER", 0}};
const std::vector<ColumnDef> kInfoColumns{{"property", "TEXT", 1}, {"value", "TEXT", 0}};
const std::vector<ColumnDef> kAuditColumns{{"id", "INTEGER", 1}, {"domain", "TEXT", 0}, {"date_added", "INTEGER", 0}};

// The triggers are the same text in all three versions.
const std::vector<ObjectDef> kTriggers{
    {"tr_adlist_add", "adlist", "e28766d7392b8ab8"},        {"tr_adlist_delete", "adlist", "b4717c48536d69a5"},
    {"tr_adlist_update", "adlist", "734cac6a92bec771"},     {"tr_client_add", "client", "f184e1705f611171"},
    {"tr_client_delete", "client", "145fb33614a21ddc"},     {"tr_client_update", "client", "87e8d7a692575ded"},
    {"tr_domainlist_add", "domainlist", "638b6868a4378d23"}, {"tr_domainlist_delete", "domainlist", "e6361eb0bf289dbb"},
    {"tr_domainlist_update", "domainlist", "beec4854cd841bd0"}, {"tr_group_update", "group", "d5b51fba11086ca2"},
    {"tr_group_zero", "group", "ea909177640ec21e"}};

std::vector<PiholeSchema> make_schemas() {
  std::vector<PiholeSchema> out;
  // 15: Pi-hole v5.6 - v5.18.
  out.push_back({15,
                 {{"adlist", kAdlistColumns15, true},
                  {"adlist_by_group", mapping("adlist_id"), true},
                  {"client", kClientColumns, true},
                  {"client_by_group", mapping("client_id"), true},
                  {"domain_audit", kAuditColumns, true},
                  {"domainlist", kDomainlistColumns, true},
                  {"domainlist_by_group", mapping("domainlist_id"), true},
                  {"gravity", kGravityColumns, false},
                  {"group", kGroupColumns, true},
                  {"info", kInfoColumns, false}},
                 kTriggers,
                 {{"vw_adlist", "vw_adlist", "e2860e96d1edc8ea"},
                  {"vw_blacklist", "vw_blacklist", "34b1c69834ce583d"},
                  {"vw_gravity", "vw_gravity", "b276067bd00c5240"},
                  {"vw_regex_blacklist", "vw_regex_blacklist", "d9788d842ee65c8d"},
                  {"vw_regex_whitelist", "vw_regex_whitelist", "36447e4f7a0178ac"},
                  {"vw_whitelist", "vw_whitelist", "4481358b523f6720"}}});
  // 19: Pi-hole v6.0 - v6.1. 20: v6.2 and later (the views renamed to allow/deny).
  const std::vector<TableDef> tables6{{"adlist", adlist_columns_6(), true},
                                      {"adlist_by_group", mapping("adlist_id"), true},
                                      {"antigravity", kGravityColumns, false},
                                      {"client", kClientColumns, true},
                                      {"client_by_group", mapping("client_id"), true},
                                      {"domainlist", kDomainlistColumns, true},
                                      {"domainlist_by_group", mapping("domainlist_id"), true},
                                      {"gravity", kGravityColumns, false},
                                      {"group", kGroupColumns, true},
                                      {"info", kInfoColumns, false}};
  out.push_back({19,
                 tables6,
                 kTriggers,
                 {{"vw_adlist", "vw_adlist", "ee8562eee6b98e5c"},
                  {"vw_antigravity", "vw_antigravity", "80fac3e9676cc52f"},
                  {"vw_blacklist", "vw_blacklist", "34b1c69834ce583d"},
                  {"vw_gravity", "vw_gravity", "5429062a9bb53bd2"},
                  {"vw_regex_blacklist", "vw_regex_blacklist", "d9788d842ee65c8d"},
                  {"vw_regex_whitelist", "vw_regex_whitelist", "36447e4f7a0178ac"},
                  {"vw_whitelist", "vw_whitelist", "4481358b523f6720"}}});
  out.push_back({20,
                 tables6,
                 kTriggers,
                 {{"vw_adlist", "vw_adlist", "ee8562eee6b98e5c"},
                  {"vw_allowlist", "vw_allowlist", "e16853e4d943daf6"},
                  {"vw_antigravity", "vw_antigravity", "80fac3e9676cc52f"},
                  {"vw_denylist", "vw_denylist", "24f6e4faddf6adad"},
                  {"vw_gravity", "vw_gravity", "5429062a9bb53bd2"},
                  {"vw_regex_allowlist", "vw_regex_allowlist", "7efab45f5d36ba73"},
                  {"vw_regex_denylist", "vw_regex_denylist", "34e310697d331f29"}}});
  return out;
}

const std::vector<PiholeSchema>& schemas() {
  static const std::vector<PiholeSchema> all = make_schemas();
  return all;
}

// The statistics and timestamps pihole -g writes: not part of the configuration digest.
constexpr const char* kDigestExcluded[] = {"date_added",      "date_modified", "date_updated", "number",
                                           "invalid_domains", "status",        "abp_entries"};

std::string quoted_identifier(std::string_view name) { return "\"" + std::string(name) + "\""; }

// Split `line` at single spaces into hex fields and decode them.
Result<std::vector<std::string>> hex_fields(std::string_view line, size_t count) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string_view::npos) end = line.size();
    auto field = hex_decode(line.substr(start, end - start));
    if (!field) return make_error(ExitCode::refused, "malformed schema listing");
    out.push_back(std::move(*field));
    start = end + 1;
  }
  if (out.size() != count) return make_error(ExitCode::refused, "malformed schema listing");
  return out;
}

template <typename Fn>
Status each_line(std::string_view printed, Fn fn) {
  size_t start = 0;
  while (start < printed.size()) {
    size_t end = printed.find('\n', start);
    if (end == std::string_view::npos) end = printed.size();
    std::string_view line = printed.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.empty()) continue;
    if (auto st = fn(line); !st) return st;
  }
  return {};
}

std::string collapse_whitespace(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool sqlite_internal(std::string_view name) { return name.rfind("sqlite_", 0) == 0; }

}  // namespace

const char* const kSchemaObjectsSql =
    "SELECT '~O ' || hex(type) || ' ' || hex(name) || ' ' || hex(tbl_name) || ' ' || hex(COALESCE(sql, '')) "
    "FROM sqlite_master ORDER BY type, name;";
const char* const kSchemaColumnsSql =
    "SELECT '~C ' || hex(m.name) || ' ' || hex(p.name) || ' ' || hex(p.type) || ' ' || hex(p.pk) || ' ' || "
    "hex(p.hidden) FROM sqlite_master AS m, pragma_table_xinfo(m.name) AS p WHERE m.type = 'table' "
    "ORDER BY m.name, p.cid;";
const char* const kSchemaVersionSql = "SELECT value FROM info WHERE property = 'version';";

const PiholeSchema* pihole_schema(int version) {
  for (const auto& s : schemas()) {
    if (s.version == version) return &s;
  }
  return nullptr;
}

std::string known_schema_versions() {
  std::string out;
  for (const auto& s : schemas()) out += (out.empty() ? "" : ", ") + std::to_string(s.version);
  return out;
}

std::vector<int> known_schemas() {
  std::vector<int> out;
  for (const auto& s : schemas()) out.push_back(s.version);
  return out;
}

std::vector<const TableDef*> config_tables(const PiholeSchema& schema) {
  std::vector<const TableDef*> out;
  for (const auto& t : schema.tables) {
    if (t.config) out.push_back(&t);
  }
  std::sort(out.begin(), out.end(), [](const TableDef* a, const TableDef* b) { return std::string_view(a->name) < b->name; });
  return out;
}

std::vector<const ColumnDef*> digest_columns(const TableDef& table) {
  std::vector<const ColumnDef*> out;
  for (const auto& c : table.columns) {
    if (std::none_of(std::begin(kDigestExcluded), std::end(kDigestExcluded),
                     [&](const char* x) { return std::string_view(x) == c.name; })) {
      out.push_back(&c);
    }
  }
  return out;
}

Result<std::vector<SchemaObject>> parse_schema_objects(std::string_view printed) {
  std::vector<SchemaObject> out;
  auto st = each_line(printed, [&](std::string_view line) -> Status {
    if (line.rfind("~O ", 0) != 0) return {};  // another listing's line
    auto f = hex_fields(line.substr(3), 4);
    if (!f) return f.error();
    out.push_back({(*f)[0], (*f)[1], (*f)[2], (*f)[3]});
    return {};
  });
  if (!st) return st.error();
  return out;
}

Result<std::vector<SchemaColumn>> parse_schema_columns(std::string_view printed) {
  std::vector<SchemaColumn> out;
  auto st = each_line(printed, [&](std::string_view line) -> Status {
    if (line.rfind("~C ", 0) != 0) return {};  // another listing's line
    auto f = hex_fields(line.substr(3), 5);
    if (!f) return f.error();
    SchemaColumn c{(*f)[0], (*f)[1], (*f)[2], 0, 0};
    for (auto [text, value] : {std::pair{&(*f)[3], &c.pk}, std::pair{&(*f)[4], &c.hidden}}) {
      const auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), *value);
      if (ec != std::errc() || p != text->data() + text->size()) {
        return make_error(ExitCode::refused, "malformed schema listing");
      }
    }
    out.push_back(std::move(c));
    return {};
  });
  if (!st) return st.error();
  return out;
}

const TableDef* find_table(const PiholeSchema& schema, std::string_view name) {
  for (const auto& t : schema.tables) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

Result<const PiholeSchema*> check_schema(const std::string& what, int version, const std::vector<SchemaObject>& objects,
                                         const std::vector<SchemaColumn>& columns, SchemaKind kind) {
  const bool tables_file = kind == SchemaKind::tables_file;
  // A tables file holds the configuration tables and info; a gravity.db all of them.
  auto expected_table = [&](const TableDef& t) { return !tables_file || t.config || std::string_view(t.name) == "info"; };
  auto refuse = [&](const std::string& why) -> Error {
    if (tables_file) {
      return make_error(ExitCode::refused, what + " is not a tables file of schema " + std::to_string(version) + ": " + why);
    }
    return make_error(ExitCode::refused, what + " is not Pi-hole's gravity database of schema " +
                                             std::to_string(version) + ": " + why +
                                             " (`pihole -g` rebuilds it from Pi-hole's own template)");
  };
  const PiholeSchema* schema = pihole_schema(version);
  if (!schema) {
    return make_error(ExitCode::refused, what + " has gravity schema version " + std::to_string(version) +
                                             ", which gravity-sync does not know (it knows " + known_schema_versions() +
                                             "); update Pi-hole on both nodes");
  }
  std::set<std::string> seen;
  for (const auto& o : objects) {
    const std::string shown = printable(o.name, 80);
    if (!seen.insert(o.type + " " + o.name).second) return refuse("the " + o.type + " " + shown + " is listed twice");
    if (o.type == "table") {
      if (sqlite_internal(o.name)) continue;  // sqlite_sequence, sqlite_stat1 (ANALYZE)
      auto t = std::find_if(schema->tables.begin(), schema->tables.end(),
                            [&](const TableDef& d) { return o.name == d.name && expected_table(d); });
      if (t == schema->tables.end()) return refuse("it has a table " + shown + " that does not belong there");
      std::vector<const SchemaColumn*> have;
      for (const auto& c : columns) {
        if (c.table == o.name) have.push_back(&c);
      }
      bool same = have.size() == t->columns.size();
      for (size_t i = 0; same && i < have.size(); ++i) {
        const ColumnDef& want = t->columns[i];
        same = have[i]->name == want.name && have[i]->type == want.type && have[i]->pk == want.pk && have[i]->hidden == 0;
      }
      if (!same) return refuse("the columns of table " + shown + " are not Pi-hole's");
    } else if (o.type == "index") {
      const bool automatic = o.name.rfind("sqlite_autoindex_", 0) == 0 && o.sql.empty();
      const bool pihole = !tables_file && o.name == "idx_gravity" && o.table == "gravity" &&
                          collapse_whitespace(o.sql) == "CREATE INDEX idx_gravity ON gravity (domain, adlist_id)";
      if (!automatic && !pihole) return refuse("it has an index " + shown + " Pi-hole does not create");
    } else if ((o.type == "trigger" || o.type == "view") && !tables_file) {
      const auto& defs = o.type == "trigger" ? schema->triggers : schema->views;
      auto d = std::find_if(defs.begin(), defs.end(), [&](const ObjectDef& x) { return o.name == x.name; });
      if (d == defs.end()) return refuse("it has a " + o.type + " " + shown + " Pi-hole does not create");
      if (o.table != d->table || sha256_hex(collapse_whitespace(o.sql)).substr(0, 16) != d->sql_sha256_16) {
        return refuse("its " + o.type + " " + shown + " is not Pi-hole's");
      }
    } else {
      return refuse("it has a schema object of type " + printable(o.type, 20));
    }
  }
  for (const auto& t : schema->tables) {
    if (expected_table(t) && !seen.count(std::string("table ") + t.name)) {
      return refuse(std::string("the table ") + t.name + " is missing");
    }
  }
  if (tables_file) return schema;
  for (const auto* defs : {&schema->triggers, &schema->views}) {
    for (const auto& d : *defs) {
      const char* type = defs == &schema->triggers ? "trigger" : "view";
      if (!seen.count(std::string(type) + " " + d.name)) return refuse(std::string("the ") + type + " " + d.name + " is missing");
    }
  }
  return schema;
}

std::vector<std::string> digest_statements(const PiholeSchema& schema) {
  std::vector<std::string> out;
  for (const TableDef* t : config_tables(schema)) {
    out.push_back(std::string("SELECT '#") + t->name + "';");
    std::string values;
    for (const ColumnDef* c : digest_columns(*t)) {
      values += (values.empty() ? "" : "||','||") + std::string("quote(") + quoted_identifier(c->name) + ")";
    }
    std::vector<const ColumnDef*> key;
    for (const auto& c : t->columns) {
      if (c.pk > 0) key.push_back(&c);
    }
    std::sort(key.begin(), key.end(), [](const ColumnDef* a, const ColumnDef* b) { return a->pk < b->pk; });
    std::string order;
    for (const ColumnDef* c : key) order += (order.empty() ? "" : ",") + quoted_identifier(c->name);
    out.push_back(std::string("SELECT '") + t->name + " '||hex(" + values + ") FROM " + quoted_identifier(t->name) +
                  " ORDER BY " + (order.empty() ? "1" : order) + ";");
  }
  return out;
}

std::string digest_sql(const PiholeSchema& schema) {
  std::string out;
  for (const auto& s : digest_statements(schema)) out += s + "\n";
  return out;
}

}  // namespace gs
