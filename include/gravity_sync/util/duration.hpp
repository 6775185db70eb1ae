#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace gs {

using Millis = std::chrono::milliseconds;

// Parse a duration of CONTRACT.md: a positive whole number followed by ms, s, m or h
// ("15s", "500ms"). Returns nullopt for anything else.
std::optional<Millis> parse_duration(const std::string& text);

// Format `d` the way parse_duration reads it, choosing the largest exact unit.
std::string format_duration(Millis d);

// `seconds` since the epoch as local time in strftime `format` ("%H:%M:%S").
std::string format_local_time(int64_t seconds, const char* format);

}  // namespace gs
