#include "node/signal_wait.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace troupe::detail {

namespace {

// The write end of the pipe, for the handler; -1 while nobody waits.
volatile sig_atomic_t wake_fd = -1;

extern "C" void on_stop_signal(int sig) {
  int saved = errno;
  if (wake_fd >= 0) {
    unsigned char byte = static_cast<unsigned char>(sig);
    [[maybe_unused]] auto n = write(wake_fd, &byte, 1);
  }
  errno = saved;
}

} // namespace

int wait_for_stop_signal() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  wake_fd = fds[1];
  struct sigaction act {};
  act.sa_handler = on_stop_signal;
  sigemptyset(&act.sa_mask);
  act.sa_flags = SA_RESTART;
  struct sigaction old_int {};
  struct sigaction old_term {};
  sigaction(SIGINT, &act, &old_int);
  sigaction(SIGTERM, &act, &old_term);
  unsigned char byte = 0;
  ssize_t n = 0;
  do {
    n = read(fds[0], &byte, 1);
  } while (n < 0 && errno == EINTR);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  wake_fd = -1;
  close(fds[0]);
  close(fds[1]);
  return n == 1 ? static_cast<int>(byte) : -1;
}

} // namespace troupe::detail
