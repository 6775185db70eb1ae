#pragma once

#include <set>
#include <string>
#include <vector>

#include "gravity_sync/util/fd.hpp"

namespace gs {

// inotify on the directories that hold this node's items, so a change made here
// starts a cycle at once instead of at the next interval.
class DirWatcher {
 public:
  // Watch the directories of `paths` for changes to exactly those files. Directories
  // that do not exist are skipped (the interval still catches their items).
  explicit DirWatcher(const std::vector<std::string>& paths);

  // The inotify descriptor, to poll for POLLIN; -1 when inotify is unavailable.
  int fd() const { return fd_.get(); }
  // Read pending events; true when one of them concerns a watched file.
  bool drain();

 private:
  Fd fd_;
  std::set<std::string> names_;
};

}  // namespace gs
