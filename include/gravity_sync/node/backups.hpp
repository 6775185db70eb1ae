#pragma once

// Backups: every version gravity-sync replaces is kept on the node that had it. One concept
// for both nodes: where a backup lives (BACKUP_DIR/ITEM/STAMP.SUFFIX), its id
// (NODE:ITEM:STAMP), reading a directory listing back into entries, and which to prune.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gravity_sync/pihole/item.hpp"

namespace gs {

// Which node: this machine or the remote one.
enum class Side { local, remote };

// "local" or "remote", as the contract's output names a node.
const char* side_name(Side side);

// Where a node keeps its backups and how many of each item.
struct BackupPolicy {
  std::string dir;
  int keep = 10;
};

// One backup.
struct BackupEntry {
  std::string id;  // backup_id()
  Side side = Side::local;
  Item item = Item::gravity;
  int64_t time = 0;  // seconds since the epoch, from its stamp
  uint64_t size = 0;
  std::string path;  // on its node, built from the policy and the stamp (never a listed name)
};

// The time stamp used in backup names: 20261123T042700123Z (UTC, milliseconds).
std::string backup_stamp();

// Parse a backup stamp back into seconds since the epoch; 0 if it is not one.
int64_t parse_backup_stamp(const std::string& stamp);

// The file name suffix of a backup of `item` (.db, .list, .conf).
const char* backup_suffix(Item item);

// The directory of `item`'s backups: POLICY_DIR/ITEM.
std::string backup_dir(const BackupPolicy& policy, Item item);

// The file name of `item`'s backup made at `stamp`: STAMP.SUFFIX.
std::string backup_file_name(Item item, const std::string& stamp);

// The id of a backup: NODE:ITEM:STAMP ("remote:gravity:20261123T042700123Z").
std::string backup_id(Side side, Item item, const std::string& stamp);

// The backup of `item` made at `stamp` on `side`, `size` bytes: its id and path.
BackupEntry backup_at(Side side, const BackupPolicy& policy, Item item, const std::string& stamp, uint64_t size);

// The backup a listing names: `file` in the directory `item_dir` of the policy's directory,
// `size` bytes; nullopt unless both names are of a backup's form (the listing may come from
// a peer: anything else is ignored).
std::optional<BackupEntry> backup_entry(Side side, const BackupPolicy& policy, std::string_view item_dir,
                                        std::string_view file, uint64_t size);

// `entries` in id order (per node and item, oldest first).
void sort_backups(std::vector<BackupEntry>& entries);

// Backups closer together than this belong to one run of changes (backups_to_prune).
inline constexpr int64_t kChangeRunGapSeconds = 3600;

// Which of `backups` (one item on one node, oldest first) to remove so that the newest
// `keep` remain — but never the last known-good version: the oldest backup of the current
// run of changes (backups each less than kChangeRunGapSeconds after the one before, up to
// the newest), which holds what the node had before that run began. However many changes a
// peer makes in a row, the version from before them survives. Oldest first.
std::vector<BackupEntry> backups_to_prune(const std::vector<BackupEntry>& backups, int keep);

// The same for `item`'s backups among `all` (a node's whole listing, sorted).
std::vector<BackupEntry> backups_to_prune(const std::vector<BackupEntry>& all, Item item, int keep);

}  // namespace gs
