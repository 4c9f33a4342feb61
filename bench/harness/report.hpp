#pragma once
// The output contract of every benchmark program (C++ and Erlang alike): one
// line per figure on stdout,
//   RESULT <benchmark-id> <value> <unit>
// which bench/run.sh collects into the ratio table. Everything else a
// program prints goes to stderr as progress, so stdout stays parseable.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

using clock_type = std::chrono::steady_clock;

inline void report(const std::string& id, double value, const char* unit) {
  std::printf("RESULT %s %.6g %s\n", id.c_str(), value, unit);
  std::fflush(stdout);
  std::fprintf(stderr, "  %-28s %14.6g %s\n", id.c_str(), value, unit);
}

inline double elapsed_ns(clock_type::time_point since) {
  return static_cast<double>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now()
                                                         - since)
      .count());
}

/// The value below which `p` (0..1) of the samples lie (nearest rank).
inline double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<size_t>(p * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(rank, xs.size() - 1)];
}

inline double median(std::vector<double> xs) {
  return percentile(std::move(xs), 0.5);
}

/// Calls `once(i)` (which returns nanoseconds) `warmup` times untimed, then
/// `n` times; the median of those in microseconds.
template <class F>
double median_us(int64_t warmup, int64_t n, F once) {
  for (int64_t i = 0; i < warmup; ++i)
    once(i);
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    us.push_back(once(i) / 1e3);
  return median(std::move(us));
}

/// Runs `once` (which returns one measurement) `runs` times and keeps the
/// median: on a shared 2-core machine a single run is often an outlier.
template <class F>
double median_of(int runs, F once) {
  std::vector<double> xs;
  for (int i = 0; i < runs; ++i)
    xs.push_back(once());
  return median(std::move(xs));
}

} // namespace bench
