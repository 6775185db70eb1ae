#include "gravity_sync/util/duration.hpp"

#include <cctype>
#include <ctime>

namespace gs {

std::optional<Millis> parse_duration(const std::string& text) {
  size_t i = 0;
  long long value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    value = value * 10 + (text[i] - '0');
    if (value > 1'000'000'000LL) return std::nullopt;
    ++i;
  }
  if (i == 0 || value <= 0) return std::nullopt;
  const std::string unit = text.substr(i);
  if (unit == "ms") return Millis(value);
  if (unit == "s") return Millis(value * 1000);
  if (unit == "m") return Millis(value * 60'000);
  if (unit == "h") return Millis(value * 3'600'000);
  return std::nullopt;
}

std::string format_duration(Millis d) {
  const long long ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0 && ms != 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_local_time(int64_t seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  return std::strftime(buf, sizeof buf, format, &tm) ? buf : "";
}

}  // namespace gs
