#pragma once
// rpc::call's metrics: calls by outcome, their duration (all attempts and
// backoff included) and retries.

#include <chrono>

#include <caf/error.hpp>

#include "troupe/metrics.hpp"

namespace troupe::rpc::rpc_metrics {

/// Counts one finished call: outcome "ok" for no error, else timeout,
/// node_down, receiver_down, no_handler or other; and its duration.
void record(const caf::error& outcome, std::chrono::nanoseconds took);

/// Attempts after the first one (idempotent calls only).
metrics::counter& retries();

} // namespace troupe::rpc::rpc_metrics
