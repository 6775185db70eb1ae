#include "gravity_sync/util/cancel.hpp"

#include <atomic>

namespace gs {

namespace {
// Lock-free, so it may be set from a signal handler.
std::atomic<bool> g_cancel{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

void request_cancel() { g_cancel.store(true, std::memory_order_relaxed); }
bool cancel_requested() { return g_cancel.load(std::memory_order_relaxed); }
void reset_cancel() { g_cancel.store(false, std::memory_order_relaxed); }

}  // namespace gs
