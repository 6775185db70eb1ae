#include "gravity_sync/node/backups.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace gs {

const char* side_name(Side side) { return side == Side::local ? "local" : "remote"; }

std::string backup_stamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

int64_t parse_backup_stamp(const std::string& stamp) {
  std::tm tm{};
  int ms = 0;
  if (stamp.size() != 19 || std::sscanf(stamp.c_str(), "%4d%2d%2dT%2d%2d%2d%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

const char* backup_suffix(Item item) {
  switch (item.kind()) {
    case Item::Kind::gravity:
      return ".db";
    case Item::Kind::custom_dns:
      return ".list";
    case Item::Kind::cname:
    case Item::Kind::static_dhcp:
      return ".conf";
    case Item::Kind::settings:
      return ".value";
  }
  return "";
}

std::string backup_dir(const BackupPolicy& policy, Item item) { return policy.dir + "/" + item_name(item); }

std::string backup_file_name(Item item, const std::string& stamp) { return stamp + backup_suffix(item); }

std::string backup_id(Side side, Item item, const std::string& stamp) {
  return std::string(side_name(side)) + ":" + item_name(item) + ":" + stamp;
}

std::optional<BackupEntry> backup_entry(Side side, const BackupPolicy& policy, std::string_view item_dir,
                                        std::string_view file, uint64_t size) {
  auto item = parse_item(std::string(item_dir));
  if (!item) return std::nullopt;
  const std::string_view suffix = backup_suffix(*item);
  if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix) return std::nullopt;
  const std::string stamp(file.substr(0, file.size() - suffix.size()));
  const int64_t time = parse_backup_stamp(stamp);
  if (time == 0 || backup_file_name(*item, stamp) != file) return std::nullopt;
  return backup_at(side, policy, *item, stamp, size);
}

BackupEntry backup_at(Side side, const BackupPolicy& policy, Item item, const std::string& stamp, uint64_t size) {
  BackupEntry b;
  b.id = backup_id(side, item, stamp);
  b.side = side;
  b.item = item;
  b.time = parse_backup_stamp(stamp);
  b.size = size;
  b.path = backup_dir(policy, item) + "/" + backup_file_name(item, stamp);
  return b;
}

void sort_backups(std::vector<BackupEntry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const BackupEntry& a, const BackupEntry& b) { return a.id < b.id; });
}

std::vector<BackupEntry> backups_to_prune(const std::vector<BackupEntry>& backups, int keep) {
  std::vector<BackupEntry> out;
  const size_t kept = static_cast<size_t>(std::max(keep, 1));
  if (backups.size() <= kept) return out;
  // The current run of changes: back from the newest while the gaps stay short.
  size_t run_start = backups.size() - 1;
  while (run_start > 0 && backups[run_start].time - backups[run_start - 1].time < kChangeRunGapSeconds) --run_start;
  for (size_t i = 0; i + kept < backups.size(); ++i) {
    if (i != run_start) out.push_back(backups[i]);
  }
  return out;
}

std::vector<BackupEntry> backups_to_prune(const std::vector<BackupEntry>& all, Item item, int keep) {
  std::vector<BackupEntry> mine;
  for (const auto& b : all) {
    if (b.item == item) mine.push_back(b);
  }
  return backups_to_prune(mine, keep);
}

}  // namespace gs
