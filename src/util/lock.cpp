#include "gravity_sync/util/lock.hpp"

#include "gravity_sync/util/cancel.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>

namespace gs {

Result<FileLock> FileLock::acquire(const std::string& path, Millis wait) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return make_error(ExitCode::failure, "cannot open lock file " + path + ": " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return FileLock(std::move(fd));
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return make_error(ExitCode::failure, "cannot lock " + path + ": " + std::strerror(errno));
    }
    if (cancel_requested()) return make_error(ExitCode::failure, "interrupted while waiting for the lock " + path);
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(ExitCode::locked, "another gravity-sync run holds the lock " + path + " (waited " +
                                              format_duration(wait) + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace gs
