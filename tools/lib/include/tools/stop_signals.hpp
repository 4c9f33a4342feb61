#pragma once
// SIGINT and SIGTERM as events to wait for instead of handlers: blocked in
// every thread (CAF's threads inherit the mask of the thread that starts
// them), then taken with sigwait. Block them before any actor system or
// thread of the process exists.

#include <signal.h>

#include <chrono>

namespace troupe::tools {

/// Blocks SIGINT and SIGTERM in the calling thread (and every thread it
/// starts later); returns the set, to wait on.
sigset_t block_stop_signals();

/// Waits for SIGINT or SIGTERM; returns the signal.
int wait_stop_signal(const sigset_t& stop_signals);

/// Waits at most `timeout` for SIGINT or SIGTERM: the signal, or 0.
int wait_stop_signal(const sigset_t& stop_signals,
                     std::chrono::milliseconds timeout);

} // namespace troupe::tools
