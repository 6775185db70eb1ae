#include "gravity_sync/daemon/watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "gravity_sync/util/files.hpp"

namespace gs {

DirWatcher::DirWatcher(const std::vector<std::string>& paths) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!fd_.valid()) {
    spdlog::warn("inotify is unavailable; local changes are noticed at the next interval");
    return;
  }
  std::set<std::string> dirs;
  for (const auto& p : paths) {
    names_.insert(base_name(p));
    dirs.insert(dir_name(p));
  }
  for (const auto& d : dirs) {
    // Writes in place (IN_MODIFY) and renames into place (IN_MOVED_TO). Not IN_CLOSE_WRITE:
    // it fires for every read-write open, including SQLite readers like our own digest.
    if (::inotify_add_watch(fd_.get(), d.c_str(), IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
      spdlog::debug("cannot watch {}", d);
    }
  }
}

bool DirWatcher::drain() {
  if (!fd_.valid()) return false;
  bool relevant = false;
  alignas(inotify_event) char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      if (e->len > 0 && names_.count(e->name)) relevant = true;
      p += sizeof(inotify_event) + e->len;
    }
  }
  return relevant;
}

}  // namespace gs
