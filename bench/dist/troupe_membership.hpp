#pragma once
// The membership figures of bench_dist_troupe. Every wait is bounded;
// failures throw std::runtime_error (the clusters are stopped).

#include <string>
#include <vector>

#include <troupe/system.hpp>

namespace bench::dist {

/// Launches `n` `troupe node` processes of `troupe_binary` (the first, then
/// the others at once, as `troupe cluster up` does) and returns the
/// milliseconds until every one of them lists `n` members up, asking each
/// node through `sys` (which joins no cluster).
double join_ms(const std::string& troupe_binary, troupe::system& sys, int n,
               const std::string& logs,
               const std::vector<std::string>& caf_args);

/// Starts three worker nodes, SIGKILLs the third and returns the
/// milliseconds until both survivors have seen it down, by their own clocks
/// (steady_clock is CLOCK_MONOTONIC on Linux: one clock for all processes
/// of the machine).
double failure_detection_ms(const std::string& logs,
                            const std::vector<std::string>& caf_args);

} // namespace bench::dist
