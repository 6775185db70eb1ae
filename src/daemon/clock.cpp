#include "gravity_sync/daemon/clock.hpp"

#include <ctime>

namespace gs {

namespace {

class RealClock final : public Clock {
 public:
  SteadyTime steady() const override { return std::chrono::steady_clock::now(); }
  int64_t wall() const override { return static_cast<int64_t>(std::time(nullptr)); }
};

}  // namespace

const Clock& real_clock() {
  static const RealClock clock;
  return clock;
}

}  // namespace gs
