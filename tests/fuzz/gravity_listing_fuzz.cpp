// Fuzz target: the listing another node prints for its gravity.db before anything else is
// read from it (sqlite/gravity, sqlite/schema): "~V HEX" (info.version), "~O ..." schema
// objects, "~C ..." columns and "~F 0|1", all hex-encoded.
//
// Input: the text of such a listing (any other line is skipped, as from the remote shell).
//
// For every input, nothing crashes or throws, and:
//   - check_gravity_listing accepts only a listing of a schema version gravity-sync knows,
//     and whatever it refuses, it refuses with ExitCode::refused;
//   - parse_schema_objects / parse_schema_columns return rows or refuse;
//   - parse_schema_version is 0 or a positive number.

#include "fuzz_support.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/sqlite/schema.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  const std::string_view text = as_text(data, size);
  const auto listed = check_gravity_listing("remote gravity.db", text);
  if (listed) {
    require(pihole_schema(listed->version) != nullptr, "an accepted listing has a known schema version", text);
  } else {
    require(listed.error().code == ExitCode::refused, "a listing is refused with exit 5", listed.error().message);
  }
  (void)parse_schema_objects(text);
  (void)parse_schema_columns(text);
  require(parse_schema_version(text) >= 0, "parse_schema_version is never negative", text);
  return 0;
}
