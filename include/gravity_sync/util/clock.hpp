#pragma once

#include <chrono>
#include <cstdint>

#include "gravity_sync/util/duration.hpp"

namespace gs {

// A point on the monotonic clock: waits, deadlines and durations.
using SteadyTime = std::chrono::steady_clock::time_point;

// The one way the daemon and a node's FTL pacing read the time and wait, so their
// decisions can be driven by a test (a fake clock's sleep_for only moves its time).
class Clock {
 public:
  virtual ~Clock() = default;
  // Now on the monotonic clock.
  virtual SteadyTime steady() const = 0;
  // Now in whole seconds since the epoch (the unit of mtimes and of `next_check`).
  virtual int64_t wall() const = 0;
  // Wait `duration`.
  virtual void sleep_for(Millis duration) const = 0;
};

// The real clocks: std::chrono::steady_clock, time(2) and std::this_thread::sleep_for.
const Clock& real_clock();

}  // namespace gs
