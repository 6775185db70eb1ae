#include "gravity_sync/node/pihole_node.hpp"

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/util/sha256.hpp"

// Step 1 of the flow: what each node holds of each item (PiholeNode::inspect).

namespace gs {

Result<NodeState> PiholeNode::inspect(const std::vector<Item>& all) {
  // Settings are pihole.toml keys: a node of Pi-hole v5 has none (the engine skips them).
  std::vector<Item> items;
  NodeState state;
  for (Item item : all) {
    if (item.is_setting() && major_version() < 6) {
      state[item] = ItemState{};
    } else {
      items.push_back(item);
    }
  }
  auto read = read_items(items);
  if (!read) return read.error();
  for (Item item : items) {
    auto file = read->files.find(item);
    if (file == read->files.end()) {
      // A v6 value always exists (an empty array is an empty item); it has no file. Its
      // time is pihole.toml's.
      const Result<PiholeToml> toml =
          read->toml ? *read->toml : Result<PiholeToml>(make_error(ExitCode::failure, std::string(name()) +
                                                                                  " pihole.toml was not read"));
      state[item] = value_state(item, toml, read->toml_mtime, name());
      continue;
    }
    const ItemFile& f = file->second;
    ItemState& s = state[item];
    s.exists = f.info.exists;
    if (s.exists) {
      s.size = f.info.size;
      s.mtime = s.changed_at = f.info.mtime;
      s.inode = f.info.inode;
    }
    if (f.error) {
      s.error = f.error->message;
      s.error_code = f.error->code;
    } else if (s.exists && item == Item::gravity) {
      s.sha256 = f.gravity.sha256;
      s.schema_version = f.gravity.schema_version;
      s.fresh = f.gravity.fresh;
    } else if (s.exists) {
      const Records records = records_from_file(item, f.text);
      s.sha256 = sha256_hex(f.text);
      s.canonical = records_digest(item, records);
      s.records = records.size();
    }
  }
  return state;
}

}  // namespace gs
