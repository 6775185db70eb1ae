#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gs {

// A one-line progress display (bytes, rate, ETA) for long transfers, redrawn at most
// five times a second on stderr. Shown only when enabled (stderr is a terminal and the
// run is not quiet); plain log lines say the same otherwise.
class Progress {
 public:
  // `label` names the transfer ("pull gravity"); `total` is 0 when unknown.
  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` bytes so far.
  void update(uint64_t done);

  // Whether progress lines are drawn in this process (set once by the CLI).
  static void enable(bool on);

 private:
  void draw(bool final);
  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_ = start_;  // first draw after 200 ms
  bool drawn_ = false;
};

}  // namespace gs
