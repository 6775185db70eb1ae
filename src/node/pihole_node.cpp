#include "gravity_sync/node/pihole_node.hpp"

// PiholeNode's own parts; its procedure is in one file per step of the flow: inspect.cpp,
// stage.cpp, install.cpp (with restore), reload.cpp.

namespace gs {

PiholeNode::PiholeNode(Side side, PiholeLayout layout, BackupPolicy backups)
    : side_(side), layout_(std::move(layout)), backups_(std::move(backups)) {}

Result<Records> PiholeNode::read_records(Item item) {
  if (major_version() >= 6) {
    auto toml = read_toml();
    if (!toml) return toml.error();
    return with_context(records_from_toml(*toml, item), name());
  }
  auto text = read_text_file(item);
  if (!text) return text.error();
  return records_from_file(item, *text);
}

void PiholeNode::prune_backups(Item item) {
  auto all = backups();
  if (!all) return;
  const auto old = backups_to_prune(*all, item, backups_.keep);
  if (!old.empty()) remove_backups(old);
}

}  // namespace gs
