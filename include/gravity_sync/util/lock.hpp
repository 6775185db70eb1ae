#pragma once

#include <string>

#include "gravity_sync/util/duration.hpp"
#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/fd.hpp"

namespace gs {

// An exclusive flock(2) on a file, held while the object lives.
class FileLock {
 public:
  // Lock `path` (created if missing), waiting up to `wait`; ExitCode::locked on timeout.
  static Result<FileLock> acquire(const std::string& path, Millis wait);

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

 private:
  explicit FileLock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

}  // namespace gs
