// Fuzz target: a v5 text item as a peer sends it (custom.list, 05-pihole-custom-cname.conf,
// 04-pihole-static-dhcp.conf), its validation and the records read from it.
//
// Input: one byte choosing the item ('0' custom-dns, '1' cname, '2' static-dhcp), then the
// content of the file.
//
// For every input: validate_text_item, records_from_file and the canonical form neither
// crash nor throw, and each record's canonical form is its own canonical form. For a file
// validate_text_item accepts (one a node would install):
//   - each record is normalized (normalize_record leaves it as it is);
//   - the v5 file rendered from the records (what `stage` sends in records form) is
//     accepted too and reads back as the same records;
//   - the records as v6 entries (records_from_values) are the same records;
//   - the JSON array handed to `pihole-FTL --config` parses back to the same strings.

#include "fuzz_support.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/json.hpp"

namespace gs::fuzz {
namespace {

constexpr Item kTextItems[] = {Item::custom_dns, Item::cname, Item::static_dhcp};

// Every record's canonical form is a fixed point: the digest of a record does not depend
// on whether it was canonicalized before.
void check_canonical(Item item, const Records& records) {
  for (const auto& r : records) {
    const std::string canonical = canonical_record(item, r);
    require(canonical_record(item, canonical) == canonical, "canonical_record(canonical_record(r)) == canonical_record(r)", r);
  }
  (void)canonical_text(item, records);
}

// The records of a valid file survive every form they travel in unchanged.
void check_valid_records(Item item, const Records& records) {
  for (const auto& r : records) require(normalize_record(item, r) == r, "records of a valid file are normalized", r);
  const std::string rendered = file_from_records(item, records);
  const Status again = validate_text_item(item, rendered);
  require(again.ok(), "the file rendered from a valid file's records is valid", again.ok() ? "" : again.error().message);
  require(records_from_file(item, rendered) == records, "the rendered file reads back as the same records", rendered);
  const auto values = records_from_values(item, records);
  require(values.ok() && values.value() == records, "the records read as v6 entries are the same records", rendered);
  const auto json = Json::parse(ftl_array_json(records));
  require(json && json->items().size() == records.size(), "the FTL JSON array has one string per record", rendered);
  for (size_t i = 0; i < records.size(); ++i) {
    require(json->items()[i].as_string() == records[i], "the FTL JSON array holds the records", records[i]);
  }
}

// A name is_dns_name accepts in ASCII mode holds nothing but letters, digits, '-', '_', '.'.
void check_dns_name(std::string_view text) {
  if (!is_dns_name(text, false)) return;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    require(ok, "an ASCII DNS name holds only letters, digits, '-', '_' and '.'", text);
  }
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  const auto [choice, content] = take_choice(as_text(data, size), std::size(kTextItems));
  const Item item = kTextItems[choice];
  const Status valid = validate_text_item(item, content);
  const Records records = records_from_file(item, content);
  check_canonical(item, records);
  if (valid.ok()) check_valid_records(item, records);
  check_dns_name(content);
  return 0;
}
