#pragma once

#include <vector>

#include "gravity_sync/util/fd.hpp"

namespace gs {

// SIGTERM, SIGINT, SIGHUP and SIGUSR1 delivered as bytes on a pipe, so the daemon's
// one poll() wakes for them. SIGTERM and SIGINT also set the cancel flag at once, so
// a transfer in progress stops within a fraction of a second. One instance per process.
class SignalPipe {
 public:
  SignalPipe();
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  // The read end, to poll for POLLIN.
  int fd() const { return read_.get(); }
  // The signals received since the last call, in order.
  std::vector<int> drain();

 private:
  Fd read_;
  Fd write_;
};

}  // namespace gs
