#pragma once

#include <cstddef>
#include <functional>

namespace gs {

// Run `fn(i)` for every i in [0, n), at most `width` at a time, each in a thread of its
// own (none for n == 1: fn runs here). Returns when every call has returned. `fn` must
// not throw and must touch nothing another call touches but what it guards itself.
void parallel_for(size_t n, size_t width, const std::function<void(size_t)>& fn);

}  // namespace gs
