#include "gravity_sync/util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace gs {

void parallel_for(size_t n, size_t width, const std::function<void(size_t)>& fn) {
  if (n == 1 || width <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // Workers take the next index until none is left.
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (size_t w = 0; w < std::min(width, n); ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : workers) t.join();
}

}  // namespace gs
