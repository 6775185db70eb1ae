#include "gravity_sync/node/pihole_node.hpp"

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/sha256.hpp"

// The snapshot step of the flow: a local copy of an item to send (PiholeNode::stage).

namespace gs {

Status PiholeNode::check_item(Item item) {
  if (item == Item::gravity) return {};
  if (major_version() >= 6) {
    auto records = read_records(item);
    if (!records) return records.error();
    if (auto st = validate_text_item(item, file_from_records(item, *records)); !st) {
      return with_context(st.error(), name());
    }
    return {};
  }
  auto text = read_text_file(item);
  if (!text) return text.error();
  if (auto st = validate_text_item(item, *text); !st) return with_context(st.error(), name());
  return {};
}

Result<Staged> PiholeNode::stage(Item item, const std::string& local_dir, const StageOptions& how) {
  auto fresh = new_staged(item, local_dir);
  if (!fresh) return fresh.error();
  if (item == Item::gravity) return stage_gravity(std::move(*fresh), how);
  Result<Staged> staged = Error{};
  if (how.form == TextForm::records || major_version() >= 6) {
    Records records;
    if (major_version() < 6) {
      // A v5 file is checked as it is before its records travel, so a foreign line is
      // refused naming its line (rendering could otherwise lose it).
      auto text = read_text_file(item);
      if (!text) return text.error();
      if (auto st = validate_text_item(item, *text); !st) return st.error();
      records = records_from_file(item, *text);
    } else {
      auto read = read_records(item);
      if (!read) return read.error();
      records = std::move(*read);
    }
    staged = staged_records(std::move(*fresh), records);
  } else {
    // The v5 file as it is (at most kMaxTextItem bytes, a regular file only).
    auto text = read_text_file(item);
    if (!text) return text.error();
    if (auto st = write_all(fresh->fd.get(), text->data(), text->size()); !st) return st.error();
    fresh->staged.size = text->size();
    fresh->staged.sha256 = fresh->staged.digest = sha256_hex(*text);
    staged = std::move(fresh->staged);
  }
  if (staged) count_staged(*staged);
  return staged;
}

}  // namespace gs
