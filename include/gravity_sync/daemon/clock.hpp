#pragma once

#include <chrono>
#include <cstdint>

namespace gs {

// A point on the monotonic clock: waits, deadlines and durations.
using SteadyTime = std::chrono::steady_clock::time_point;

// The daemon's one way to read the time, so its decisions can be driven by a test.
class Clock {
 public:
  virtual ~Clock() = default;
  // Now on the monotonic clock.
  virtual SteadyTime steady() const = 0;
  // Now in whole seconds since the epoch (the unit of mtimes and of `next_check`).
  virtual int64_t wall() const = 0;
};

// The real clocks: std::chrono::steady_clock and time(2).
const Clock& real_clock();

}  // namespace gs
