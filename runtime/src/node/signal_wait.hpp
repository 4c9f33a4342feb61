#pragma once
// Waiting for SIGINT or SIGTERM in one thread of a process whose other
// threads (CAF's) do not block them: a handler writes the signal's number
// into a pipe (async-signal-safe), the waiting thread reads it. Internal to
// node::run_until_signal.

namespace troupe::detail {

/// Installs handlers for SIGINT and SIGTERM, waits for one of them, puts
/// the previous handlers back and returns the signal's number (-1 if the
/// pipe could not be made). One waiter per process at a time.
int wait_for_stop_signal();

} // namespace troupe::detail
