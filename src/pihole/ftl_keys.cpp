#include "gravity_sync/pihole/ftl_keys.hpp"

#include <limits>

namespace gs {

namespace {

// FTL v6.4.1's keys, in config.c's order (scripts/gen-ftl-keys).
constexpr FtlKey kFtlKeys[] = {
#include "ftl_keys.inc"
};

}  // namespace

std::span<const FtlKey> ftl_keys() { return kFtlKeys; }

bool is_whole_number(FtlType type) {
  return type == FtlType::int32 || type == FtlType::uint32 || type == FtlType::uint16 || type == FtlType::int64;
}

std::pair<int64_t, int64_t> whole_number_range(FtlType type) {
  switch (type) {
    case FtlType::int32: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    case FtlType::uint32: return {0, std::numeric_limits<uint32_t>::max()};
    case FtlType::uint16: return {0, std::numeric_limits<uint16_t>::max()};
    default: return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

const FtlKey* find_ftl_key(std::string_view key) {
  // 162 short keys: a linear scan costs less than building an index.
  for (const FtlKey& k : kFtlKeys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

}  // namespace gs
