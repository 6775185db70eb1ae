#include "gravity_sync/node/pihole_node.hpp"

#include <spdlog/spdlog.h>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/util/sha256.hpp"

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

Result<Installed> PiholeNode::install(const Staged& staged, const ItemState& current) {
  if (staged.item != Item::gravity) {
    // The staged copy is a local file in either direction: it is what arrived, and what
    // goes in passes the check every received text item passes.
    auto content = read_file(staged.path, kMaxTextItem, Follow::no);
    if (!content) return content.error();
    if (!staged.sha256.empty()) {
      const std::string got = sha256_hex(*content);
      if (got != staged.sha256) {
        return make_error(ExitCode::refused, "checksum mismatch: received " + got + ", sent " + staged.sha256);
      }
    }
    if (auto st = validate_text_item(staged.item, *content); !st) return st.error();
    if (major_version() >= 6) return install_records(staged.item, records_from_file(staged.item, *content));
  }
  return install_file(staged, current);
}

Result<Installed> PiholeNode::install_records(Item item, const Records& records) {
  const std::string json = ftl_array_json(records);
  if (auto st = check_ftl_value_size(item, json); !st) return with_context(st.error(), name());
  // Keep what we replace, as the v5 file that holds it (readable, and restorable anywhere).
  auto old = read_records(item);
  if (!old) return with_context(old.error(), "cannot read the value to back it up; not replacing it");
  auto kept = keep_value_backup(item, file_from_records(item, *old));
  if (!kept) return kept.error();
  // FTL checks the value, writes pihole.toml itself and applies it (restarting itself
  // for CNAMEs and DHCP hosts); we never edit pihole.toml.
  ftl_pacer().before_change(*this);
  auto set = ftl_config_set(ftl_key(item), json);
  ftl_pacer().after_change(*this, ftl_set_restarts(item));  // whatever came back, FTL may have taken it
  if (!set) return set.error();
  if (set->exit_code != 0) {
    remove_backups({*kept});  // nothing was replaced
    return with_context(ftl_set_error(item, set->exit_code, set->output), name());
  }
  // What FTL now holds, read back the way sync reads it: the value must be the one sent.
  auto now = read_records(item);
  if (!now) {
    return make_error(ExitCode::failure, std::string(name()) + " pihole-FTL set the new " + ftl_key(item) +
                                             ", but reading it back failed (the value is in place): " +
                                             now.error().message);
  }
  if (records_digest(item, *now) != records_digest(item, records)) {
    return make_error(ExitCode::failure, std::string(name()) + " pihole-FTL accepted the new " + ftl_key(item) +
                                             " but pihole.toml holds a different value; it is left as FTL wrote it");
  }
  spdlog::info("{} {}: set {} ({} records)", name(), item_name(item), ftl_key(item), records.size());
  prune_backups(item);
  Installed result;
  result.backup_id = kept->id;
  return result;
}

Result<Installed> PiholeNode::restore(const BackupEntry& entry, const ItemState& current) {
  if (entry.item != Item::gravity && major_version() >= 6) {
    // A v6 value: the backup holds its records as a v5 file; checked, then set through FTL.
    auto content = read_backup_text(entry);
    if (!content) return content.error();
    if (auto st = validate_text_item(entry.item, *content); !st) return st.error();
    return install_records(entry.item, records_from_file(entry.item, *content));
  }
  return restore_file(entry, current);
}

void PiholeNode::prune_backups(Item item) {
  auto all = backups();
  if (!all) return;
  const auto old = backups_to_prune(*all, item, backups_.keep);
  if (!old.empty()) remove_backups(old);
}

Status PiholeNode::reload(Reload level) {
  auto args = reload_args(level, major_version());
  if (args.empty()) return {};
  return run_pihole(args, Millis(120'000), "reloading Pi-hole");
}

Status PiholeNode::rebuild_gravity() { return run_pihole({"-g"}, kRebuildTimeout, "rebuilding gravity"); }

Result<FtlStatus> PiholeNode::ftl_status() {
  const int major = major_version();
  if (!pid_file_) {
    // Once per node: FTL's PID file (from pihole.toml or pihole-FTL.conf) and SIGRTMIN.
    auto id = ftl_identity();
    if (!id) return id.error();
    pid_file_ = ftl_pid_file(major, id->toml, id->conf);
    sigrtmin_ = ftl_sigrtmin(major, id->sigrtmin);
  }
  auto printed = run_ftl(ftl_status_args(*pid_file_, sigrtmin_), Millis(30'000));
  if (!printed) return printed.error();
  return parse_ftl_status(*printed);
}

}  // namespace gs
