// Fuzz target: Pi-hole v6's pihole.toml as a node holds it (read with toml++), and the
// records of the text items read from it.
//
// Input: the text of a pihole.toml.
//
// For every input: PiholeToml::parse returns the file or a refusal, never throws (toml++'s
// parse errors included). For a file it reads, for each text item:
//   - records_from_toml returns records or a refusal, never crashes;
//   - the records are normalized and hold no control character but a tab;
//   - when the v5 file rendered from them (what `stage` sends in records form) passes
//     validate_text_item, it reads back as the same records: otherwise a v6 sender and
//     its receiver would never agree on the item's digest.
// For settings keys of each type (pihole/settings.hpp): a value read is a canonical form
// (canonical_setting of it is itself), one line without control characters but a tab,
// and its backup (the line) validates and reads back as the same value; set_by_env
// never crashes. And files.pid (the PID file ftl_status reads) is read without crashing.

#include "fuzz_support.hpp"
#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/settings.hpp"
#include "gravity_sync/pihole/text_items.hpp"

namespace gs::fuzz {
namespace {

// A record holds no byte that could end a line: no control character but a tab.
bool no_control_bytes(std::string_view record) {
  for (char c : record) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// The records of `item` in `toml` keep their form through a v5 file.
void check_item(const PiholeToml& toml, Item item) {
  const auto read = records_from_toml(toml, item);
  if (!read) return;
  const Records& records = read.value();
  for (const auto& r : records) {
    require(no_control_bytes(r), "a v6 record holds no control character", r);
    require(normalize_record(item, r) == r, "v6 records are normalized", r);
  }
  const std::string rendered = file_from_records(item, records);
  if (!validate_text_item(item, rendered).ok()) return;  // refused by the receiver: nothing travels
  require(records_from_file(item, rendered) == records, "v6 records rendered as a v5 file read back the same", rendered);
}

// The value of the settings key `name` in `toml` keeps its form through a backup.
void check_setting(const PiholeToml& toml, std::string_view name) {
  const FtlKey* key = find_ftl_key(name);
  require(key != nullptr, "a key FTL knows", std::string(name));
  (void)toml.set_by_env(name);
  const auto read = toml.setting(*key);
  if (!read || !*read) return;
  const std::string& value = **read;
  require(no_control_bytes(value), "a setting's canonical form is one line without control characters", value);
  const auto again = canonical_setting(*key, value);
  require(again.ok() && *again == value, "a setting's canonical form is its own canonical form", value);
  const Item item = Item::setting(*key);
  const std::string backup = file_from_records(item, {value});
  require(validate_text_item(item, backup).ok(), "a setting's backup validates", backup);
  require(records_from_file(item, backup) == Records{value}, "a setting's backup reads back the same", backup);
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  const std::string_view text = as_text(data, size);
  const auto toml = PiholeToml::parse(text);
  if (!toml) return 0;
  for (Item item : {Item::custom_dns, Item::cname, Item::static_dhcp}) check_item(toml.value(), item);
  for (const char* key : {"dns.upstreams", "dns.revServers", "dns.dnssec", "dns.blockTTL", "dns.domain.name",
                          "dns.blocking.mode", "misc.privacylevel"}) {
    check_setting(toml.value(), key);
  }
  (void)toml->string_or("files.pid", "/run/pihole-FTL.pid");  // ftl_pid_file's v6 reading
  return 0;
}
