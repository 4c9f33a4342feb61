#pragma once
// The one-way figures of bench_dist_troupe (workload in flow_actors.hpp),
// between worker w1 (the blaster) and w2 (the sink) of a bench_cluster.
// Failures throw std::runtime_error.

#include <chrono>
#include <cstdint>

#include "dist/flow_actors.hpp"
#include "dist/troupe_cluster.hpp"

namespace bench::dist {

/// dist_oneway: `count` one-way messages from w1 to a counting sink on w2
/// and its confirmation; messages per second.
double oneway_per_s(bench_cluster& c, uint64_t count);

/// overload_peak_rss: w1 blasts at a slow sink on w2 for `duration`; the
/// blast's result (sent, and both processes' VmHWM).
flow_result overload(bench_cluster& c, std::chrono::nanoseconds duration);

} // namespace bench::dist
