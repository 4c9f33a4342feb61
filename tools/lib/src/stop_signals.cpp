#include "tools/stop_signals.hpp"

#include <pthread.h>

namespace troupe::tools {

sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

int wait_stop_signal(const sigset_t& stop_signals) {
  int sig = 0;
  sigwait(&stop_signals, &sig);
  return sig;
}

int wait_stop_signal(const sigset_t& stop_signals,
                     std::chrono::milliseconds timeout) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout - secs);
  timespec tick{static_cast<time_t>(secs.count()), static_cast<long>(nanos.count())};
  auto sig = sigtimedwait(&stop_signals, nullptr, &tick);
  return sig == SIGINT || sig == SIGTERM ? sig : 0;
}

} // namespace troupe::tools
