// Fuzz target: the small JSON reader (util/json) that reads state files, the metrics
// textfile's neighbours and what tools print.
//
// Input: any text.
//
// For every input: Json::parse returns a value or nothing, never crashes, throws or
// recurses without bound (it refuses nesting deeper than 64). For a value it returns:
//   - dump() gives text that parses again, to a value whose dump() is the same text
//     (parse and dump agree: what we write we read back);
//   - the accessors (items, operator[], as_string, as_int, as_bool) are total.

#include "fuzz_support.hpp"
#include "gravity_sync/util/json.hpp"

namespace gs::fuzz {
namespace {

// Walk `value` with every accessor (they must accept any kind of value).
void touch(const Json& value) {
  (void)value.as_string();
  (void)value.as_int();
  (void)value.as_bool();
  (void)value["version"];
  for (const auto& item : value.items()) (void)item.as_string();
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  const std::string text(as_text(data, size));
  const auto value = Json::parse(text);
  if (!value) return 0;
  touch(*value);
  const std::string dumped = value->dump();
  const auto again = Json::parse(dumped);
  require(again.has_value(), "Json::parse(dump(v)) succeeds", dumped);
  require(again->dump() == dumped, "dump(parse(dump(v))) == dump(v)", dumped);
  return 0;
}
