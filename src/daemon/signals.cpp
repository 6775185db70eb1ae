#include "gravity_sync/daemon/signals.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include "gravity_sync/util/cancel.hpp"

namespace gs {

namespace {

std::atomic<int> g_write_fd{-1};
constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

extern "C" void on_signal(int signo) {
  const int saved = errno;
  if (signo == SIGTERM || signo == SIGINT) request_cancel();
  const unsigned char byte = static_cast<unsigned char>(signo);
  const int fd = g_write_fd.load();
  if (fd >= 0) (void)!::write(fd, &byte, 1);
  errno = saved;
}

}  // namespace

SignalPipe::SignalPipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    read_ = Fd(fds[0]);
    write_ = Fd(fds[1]);
  }
  g_write_fd.store(write_.get());
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : kSignals) ::sigaction(s, &sa, nullptr);
}

SignalPipe::~SignalPipe() {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int s : kSignals) ::sigaction(s, &sa, nullptr);
  g_write_fd.store(-1);
}

std::vector<int> SignalPipe::drain() {
  std::vector<int> out;
  unsigned char buf[64];
  for (;;) {
    ssize_t n = ::read(read_.get(), buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) out.push_back(buf[i]);
  }
  return out;
}

}  // namespace gs
