#include "gravity_sync/util/clock.hpp"

#include <ctime>
#include <thread>

namespace gs {

namespace {

class RealClock final : public Clock {
 public:
  SteadyTime steady() const override { return std::chrono::steady_clock::now(); }
  int64_t wall() const override { return static_cast<int64_t>(std::time(nullptr)); }
  void sleep_for(Millis duration) const override { std::this_thread::sleep_for(duration); }
};

}  // namespace

const Clock& real_clock() {
  static const RealClock clock;
  return clock;
}

}  // namespace gs
