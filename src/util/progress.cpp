#include "gravity_sync/util/progress.hpp"

#include <cstdio>

namespace gs {

namespace {
bool g_enabled = false;

std::string human(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}
}  // namespace

void Progress::enable(bool on) { g_enabled = on; }

Progress::Progress(std::string label, uint64_t total) : label_(std::move(label)), total_(total) {}

Progress::~Progress() {
  if (drawn_) draw(true);
}

void Progress::update(uint64_t done) {
  done_ = done;
  if (!g_enabled) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::draw(bool final) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
  std::string line = label_ + ": " + human(static_cast<double>(done_));
  if (total_ > 0) line += " / " + human(static_cast<double>(total_));
  line += "  " + human(rate) + "/s";
  if (total_ > done_ && rate > 0 && !final) {
    char eta[32];
    std::snprintf(eta, sizeof eta, "  ETA %.0fs", static_cast<double>(total_ - done_) / rate);
    line += eta;
  }
  std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace gs
