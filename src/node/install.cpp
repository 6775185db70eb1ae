#include "gravity_sync/node/pihole_node.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/sqlite/tables.hpp"
#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/util/sha256.hpp"

// The verify, back-up and swap steps of the flow, on the node that receives (and restore,
// which puts a backup back the same way): PiholeNode::install and its parts.

namespace gs {

namespace {

// `error` as a refusal of the copy that arrived (the sender's content is at fault).
Error bad_copy(Error error) {
  error.kind = ErrorKind::bad_copy;
  return error;
}

}  // namespace

std::string file_identity(uint64_t size, int64_t mtime, uint64_t inode) {
  return std::to_string(size) + " " + std::to_string(mtime) + " " + std::to_string(inode);
}

Error changed_meanwhile(const std::string& live) {
  return make_error(ExitCode::refused, live + " changed after this run read it; not replacing that change (the next "
                                              "run compares it again)");
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
    if (auto st = validate_text_item(staged.item, *content); !st) return bad_copy(st.error());
    if (major_version() >= 6) return install_records(staged.item, records_from_file(staged.item, *content), current);
  }
  return install_file(staged, current);
}

Result<Installed> PiholeNode::install_file(const Staged& staged, const ItemState& current) {
  if (staged.tables) {
    // Made here (pulling) or read here (pushing): its schema must be the live database's.
    auto made = tables_file_digest(staged.path);
    if (!made) return made.error();
    if (made->schema_version != current.schema_version) {
      return bad_copy(make_error(ExitCode::refused, "schema version " + std::to_string(made->schema_version) +
                                               " differs from the " + name() + " database's " +
                                               std::to_string(current.schema_version) +
                                               "; update Pi-hole on both nodes to the same version first"));
    }
  }
  auto copy = receive_copy(staged);
  if (!copy) return copy.error();
  if (!staged.tables) return install_copy(*copy, current);
  auto applied = apply_received_tables(*copy, staged.digest, current);
  if (!applied) return applied.error();
  auto installed = install_copy(applied->copy, current);
  if (installed) installed->rebuild = applied->adlists_changed;
  return installed;
}

Result<Installed> PiholeNode::install_copy(NodeCopy& copy, const ItemState& current) {
  const Item item = copy.item;
  std::optional<BackupEntry> kept;
  // A refusal replaces nothing: the copy goes, and so does the backup kept for it.
  auto refuse = [&](const Error& error) -> Error {
    if (kept) remove_backups({*kept});
    discard_copy(copy);
    return error;
  };
  // 1. The copy is what was sent and a sound Pi-hole item. On this machine a database is
  //    checked in the background while steps 2 and 3 run; a verdict already in (the
  //    remote's, given at once) is acted on before anything else.
  auto verifying = verify_copy(copy, item == Item::gravity && current.exists ? current.schema_version : 0);
  std::optional<Status> verdict;
  auto verified = [&]() -> const Status& {
    if (!verdict) verdict = verifying.get();
    return *verdict;
  };
  if (verifying.wait_for(std::chrono::seconds(0)) == std::future_status::ready && !verified()) {
    return refuse(bad_copy(verified().error()));
  }
  // 2. Never while Pi-hole is rebuilding gravity there.
  if (item == Item::gravity) {
    const SteadyTime until = clock().steady() + waits_.rebuild;
    for (;;) {
      auto busy = rebuilding();
      if (!busy) return verified(), refuse(busy.error());
      if (!*busy) break;
      if (clock().steady() >= until || cancel_requested()) {
        verified();
        return refuse(make_error(ExitCode::refused, std::string("Pi-hole is rebuilding gravity ") +
                                                        (side_ == Side::local ? "here" : "there") + " (" +
                                                        layout_.item_path(item) +
                                                        "_temp exists); try again when `pihole -g` has finished"));
      }
      clock().sleep_for(Millis(250));
    }
  }
  // 3. Keep the version we replace.
  auto backup = keep_file_backup(copy);
  if (!backup) return verified(), refuse(backup.error());
  kept = *backup;
  if (!verified()) return refuse(bad_copy(verified().error()));
  // 4. Swap, only over the file this run read (an edit made there since stays).
  copy.expect = current.exists && current.size && current.mtime
                    ? file_identity(*current.size, *current.mtime, current.inode)
                    : current.exists ? "" : "-";
  bool moved = false;
  if (auto st = swap_copy(copy, moved); !st) {
    if (moved) return st.error();  // the live file was (or may have been) replaced: its backup stays
    return refuse(st.error());
  }
  spdlog::info("{} {}: installed {} ({} bytes)", name(), item_name(item), layout_.item_path(item), copy.size);
  prune_backups(item);
  Installed result;
  if (kept) result.backup_id = kept->id;
  return result;
}

Result<Installed> PiholeNode::install_records(Item item, const Records& records, const ItemState& current) {
  if (item.is_setting() && records.empty()) {
    return make_error(ExitCode::refused, std::string(name()) + " " + item_name(item) + ": no value to set");
  }
  const std::string json = ftl_value(item, records);
  if (auto st = check_ftl_value_size(item, json); !st) return with_context(st.error(), name());
  // Keep what we replace, as the v5 file that holds it (readable, and restorable anywhere).
  auto old = read_records(item);
  if (!old) return with_context(old.error(), "cannot read the value to back it up; not replacing it");
  // Only the value this run read is replaced: an edit made since (the web interface, the
  // API, `pihole-FTL --config`) is refused like a changed file (changed_meanwhile). What
  // lands between this read and FTL's own write is not seen (docs/SYNC.md).
  if (!current.sha256.empty() && records_digest(item, *old) != current.sha256) {
    return changed_meanwhile(ftl_key(item));
  }
  const std::string old_file = file_from_records(item, *old);
  // The value is backed up once: a run that fails again and again (a value FTL will not
  // take) does not fill backup.keep with copies of it and prune the older versions away.
  // Then a refused set keeps that backup, which an earlier run made.
  std::optional<BackupEntry> earlier;
  // A settings key the node did not hold: nothing is replaced, nothing to keep.
  const bool nothing_there = item.is_setting() && old->empty();
  if (auto all = backups(); all && !nothing_there) {
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (it->item != item) continue;
      if (auto text = read_backup_text(*it); text && *text == old_file) earlier = *it;
      break;
    }
  }
  std::optional<BackupEntry> kept = earlier;
  if (!kept && !nothing_there) {
    auto made = keep_value_backup(item, old_file);
    if (!made) return made.error();
    kept = *made;
  }
  const bool made_backup = kept && !earlier;
  QueuedValue value{item, json, records_digest(item, records), kept, made_backup};
  Installed result;
  if (kept) result.backup_id = kept->id;
  if (queued_ && major_version() >= 6) {
    queued_->push_back(std::move(value));
    result.queued = true;
    return result;
  }
  // FTL checks the value, writes pihole.toml itself and applies it (restarting itself
  // for CNAMEs and DHCP hosts); we never edit pihole.toml.
  const Committed done = set_values({std::move(value)}).front();
  if (!done.status) return done.status.error();
  return result;
}

Result<std::vector<FtlSet>> PiholeNode::ftl_config_set_all(
    const std::vector<std::pair<std::string, std::string>>& values) {
  std::vector<FtlSet> out;
  for (const auto& [key, value] : values) {
    auto set = ftl_config_set(key, value);
    if (!set) return set.error();
    out.push_back(*set);
  }
  return out;
}

std::vector<Committed> PiholeNode::set_values(std::vector<QueuedValue> values) {
  std::vector<Committed> out;
  // Those that make FTL restart itself first, one right after the other: whenever FTL
  // re-reads pihole.toml (once a second) among these sets, the restart it begins takes
  // about a second to shut FTL down, and the sets that follow land before the new FTL
  // reads the file. So FTL restarts at most once. Then, once FTL is back, those it applies
  // in place: a dns.hosts set (FTL reloads its hosts file in the main thread) close to a
  // restart signal hangs FTL v6.4.1 for good (docs/PIHOLE-V6.md, "Reloads, and FTL
  // starting"; seen again in the sanitizer run when both went in one batch).
  const auto restarts = [](const QueuedValue& v) { return ftl_set_restarts(v.item); };
  const auto first_in_place = std::stable_partition(values.begin(), values.end(), restarts);
  const size_t restart_count = static_cast<size_t>(first_in_place - values.begin());
  std::vector<bool> set_ok(values.size(), false);
  Result<std::vector<FtlSet>> all = std::vector<FtlSet>{};
  for (const auto& [from, to] : {std::pair{size_t{0}, restart_count}, std::pair{restart_count, values.size()}}) {
    if (from == to || !all) continue;
    std::vector<std::pair<std::string, std::string>> sets;
    for (size_t i = from; i < to; ++i) sets.emplace_back(ftl_key(values[i].item), values[i].value);
    ftl_pacer().before_change(*this);
    auto group = ftl_config_set_all(sets);
    ftl_pacer().after_change(*this, from == 0);  // whatever came back, FTL may have taken them
    ftl_pacer().before_change(*this);            // FTL has taken them, and restarted if it had to
    if (!group) {
      all = group.error();
    } else {
      all->insert(all->end(), group->begin(), group->end());
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const QueuedValue& v = values[i];
    if (!all) {
      set_ok[i] = true;  // some may have been set: what FTL holds tells, below
      continue;
    }
    const FtlSet* set = &(*all)[i];
    if (set->exit_code != 0) {
      if (v.made_backup) remove_backups({*v.kept});  // nothing was replaced
      Error e = with_context(ftl_set_error(v.item, set->exit_code, set->output), name());
      if (set->exit_code == kFtlExitSetByEnv) e.kind = ErrorKind::set_by_env;
      out.push_back({v.item, e, ""});
      continue;
    }
    set_ok[i] = true;
  }
  // What FTL now holds, read back the way sync reads it, once FTL has re-read the file:
  // each value must be the one sent.
  auto toml = read_toml();
  for (size_t i = 0; i < values.size(); ++i) {
    if (!set_ok[i]) continue;
    const QueuedValue& v = values[i];
    const std::string key = ftl_key(v.item);
    Status st;
    const bool held = toml && [&] {
      auto now = records_from_toml(*toml, v.item);
      return now && records_digest(v.item, *now) == v.digest;
    }();
    if (!all && !held) {
      st = make_error(ExitCode::failure, std::string(name()) + " setting " + key + " through pihole-FTL failed (" +
                                             all.error().message + "); what pihole.toml holds now is kept");
    } else if (!toml) {
      st = make_error(ExitCode::failure, std::string(name()) + " pihole-FTL set the new " + key +
                                             ", but reading it back failed (the value is in place): " +
                                             toml.error().message);
    } else if (!held) {
      st = make_error(ExitCode::failure, std::string(name()) + " pihole-FTL accepted the new " + key +
                                             " but pihole.toml holds a different value; it is left as FTL wrote it");
    } else {
      spdlog::info("{} {}: set {}", name(), item_name(v.item), key);
    }
    // The value there may have changed either way: its backup stays, and the item's
    // backups are kept to backup.keep.
    if (!st) {
      Error e = st.error();
      e.kind = ErrorKind::maybe_changed;
      st = e;
    }
    prune_backups(v.item);
    out.push_back({v.item, st, ""});
  }
  return out;
}

void PiholeNode::begin_values() { queued_.emplace(); }

std::vector<Committed> PiholeNode::commit_values() {
  std::vector<QueuedValue> values = std::move(queued_).value_or(std::vector<QueuedValue>{});
  queued_.reset();
  if (values.empty()) return {};
  std::vector<Committed> out = set_values(std::move(values));
  // The values are served only by a running FTL: one that did not come back from the
  // restart they made (FTL v6.4.1 once crashed so, found by an attack), or was not running,
  // is reported, and owed a reload until it runs (CONTRACT.md, pending reloads). A restart
  // someone else began meanwhile (an admin's CNAME change) is waited for, as ours is.
  auto ftl = wait_until_ready(*this, kFtlReadyWait);
  if (!ftl || ftl->state != FtlState::ready) {
    const std::string why = !ftl ? ftl.error().message
                                 : std::string("pihole-FTL is ") +
                                       (ftl->state == FtlState::starting ? "still starting" : "not running") + " there (" +
                                       ftl->detail + ")";
    for (Committed& c : out) {
      if (c.status) c.ftl_down = why;
    }
  }
  return out;
}

Result<Installed> PiholeNode::restore(const BackupEntry& entry, const ItemState& current) {
  if (entry.item != Item::gravity && major_version() >= 6) {
    // A v6 value: the backup holds its records as a v5 file; checked, then set through FTL.
    auto content = read_backup_text(entry);
    if (!content) return content.error();
    if (auto st = validate_text_item(entry.item, *content); !st) return st.error();
    return install_records(entry.item, records_from_file(entry.item, *content), current);
  }
  return restore_file(entry, current);
}

Result<Installed> PiholeNode::restore_file(const BackupEntry& entry, const ItemState& current) {
  auto copy = backup_copy(entry);
  if (!copy) return copy.error();
  if (entry.item != Item::gravity) {
    // A text backup is checked like any received text before it goes back in place.
    if (auto st = validate_text_item(entry.item, copy->text); !st) {
      discard_copy(*copy);
      return st.error();
    }
  }
  return install_copy(*copy, current);
}

}  // namespace gs
