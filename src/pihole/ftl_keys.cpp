#include "gravity_sync/pihole/ftl_keys.hpp"

namespace gs {

namespace {

// FTL v6.4.1's keys, in config.c's order (scripts/gen-ftl-keys).
constexpr FtlKey kFtlKeys[] = {
#include "ftl_keys.inc"
};

}  // namespace

std::span<const FtlKey> ftl_keys() { return kFtlKeys; }

const FtlKey* find_ftl_key(std::string_view key) {
  // 162 short keys: a linear scan costs less than building an index.
  for (const FtlKey& k : kFtlKeys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

}  // namespace gs
