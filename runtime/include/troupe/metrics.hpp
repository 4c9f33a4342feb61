#pragma once
// troupe's metrics: counters, gauges and histograms cheap enough to leave
// on, in one registry per process, rendered in the Prometheus text format
// (troupe/http_endpoint.hpp serves it on /metrics).
//
//   static auto& handled = troupe::metrics::get_counter(
//     "troupe_jobs_handled_total", "jobs a worker finished");
//   handled.add();                      // one relaxed atomic add
//
// Updating a metric is one relaxed atomic operation, without a lock or an
// allocation; finding or creating one (get_*) takes the registry's lock,
// so look metrics up once (at start, in an actor's state) and keep the
// reference. What is lost: metrics are per process, so several actor
// systems in one process (tests) add up into the same series; a series
// lives as long as the process (references stay valid, nothing is ever
// removed); and once `max_series` series exist, further ones are not
// exported (they still count, into a shared sink), so that label values a
// peer can choose cannot grow the registry without bound.
//
// `--troupe.metrics=off` turns every update (and the transport's per-peer
// counting) into a no-op after one relaxed load of a flag, to measure what
// metrics cost (bench/run.sh, "Metrics overhead"); series then stay where
// they were. The flag is per process: each troupe::system sets it when it
// starts (on by default), so the last one started decides.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::metrics {

namespace detail {
inline std::atomic<bool> updates_on{true};
} // namespace detail

/// Whether updates count (troupe.metrics, default on).
inline bool enabled() noexcept {
  return detail::updates_on.load(std::memory_order_relaxed);
}

/// Turns updates on or off for the whole process (troupe::system does it
/// from troupe.metrics).
inline void set_enabled(bool on) noexcept {
  detail::updates_on.store(on, std::memory_order_relaxed);
}

/// Label pairs of one series, e.g. {{"supervisor", "root"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A value that only goes up (Prometheus "counter").
class counter {
public:
  void add(uint64_t n = 1) noexcept {
    if (enabled())
      value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down (Prometheus "gauge").
class gauge {
public:
  void set(int64_t x) noexcept {
    if (enabled())
      value_.store(x, std::memory_order_relaxed);
  }
  void add(int64_t n) noexcept {
    if (enabled())
      value_.fetch_add(n, std::memory_order_relaxed);
  }
  /// Raises the value to `x` if it is lower (a high-water mark).
  void raise_to(int64_t x) noexcept {
    if (!enabled())
      return;
    auto cur = value_.load(std::memory_order_relaxed);
    while (cur < x
           && !value_.compare_exchange_weak(cur, x, std::memory_order_relaxed))
      ;
  }
  int64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<int64_t> value_{0};
};

/// Durations in fixed buckets (Prometheus "histogram", in seconds): 10 us,
/// 100 us, 500 us, 1 ms, 5 ms, 10 ms, 50 ms, 100 ms, 500 ms, 1 s, 5 s and
/// +Inf. The sum is kept in nanoseconds. A reader may see the count and
/// the buckets of different moments (each is its own relaxed atomic).
class histogram {
public:
  static constexpr std::array<int64_t, 11> bounds_ns{
      10'000,      100'000,       500'000,      1'000'000,
      5'000'000,   10'000'000,    50'000'000,   100'000'000,
      500'000'000, 1'000'000'000, 5'000'000'000};

  void observe(std::chrono::nanoseconds d) noexcept {
    if (!enabled())
      return;
    auto ns = d.count() < 0 ? int64_t{0} : static_cast<int64_t>(d.count());
    size_t i = 0;
    while (i < bounds_ns.size() && ns > bounds_ns[i])
      ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  }
  /// Observations in bucket `i` alone (not cumulative); i == bounds_ns.size()
  /// is the +Inf bucket.
  uint64_t bucket(size_t i) const noexcept {
    return buckets_[i].load(std::memory_order_relaxed);
  }
  uint64_t sum_ns() const noexcept {
    return sum_ns_.load(std::memory_order_relaxed);
  }

private:
  std::array<std::atomic<uint64_t>, bounds_ns.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

/// Most series the registry exports (counters, gauges, histograms).
inline constexpr size_t max_series = 10000;

/// The series `name{labels}`, created at 0 on first use. `help` is kept
/// from the first call for a name. A name used before with another type
/// yields a sink that is not exported (a programming error, logged once).
counter& get_counter(std::string_view name, std::string_view help,
                     const labels& ls = {});
gauge& get_gauge(std::string_view name, std::string_view help,
                 const labels& ls = {});
histogram& get_histogram(std::string_view name, std::string_view help,
                         const labels& ls = {});

/// One value a collector reports at scrape time.
struct sample {
  std::string name;
  std::string help;
  bool is_counter = false; ///< "counter", else "gauge"
  labels ls;
  double value = 0;
};

/// A function that reports values owned by something with a lifetime (a
/// transport's counters) when the registry is rendered. It runs under the
/// registry's lock, on the rendering thread: it must be quick and must not
/// call back into the registry. Samples of equal name and labels from
/// several collectors are added up.
using collector = std::function<void(std::vector<sample>&)>;

/// Adds a collector; the id removes it. remove_collector returns once no
/// render runs it any more, so the collector may refer to an object that
/// is destroyed right after.
uint64_t add_collector(collector fn);
void remove_collector(uint64_t id);

/// Every series in the Prometheus text exposition format (version 0.0.4),
/// families sorted by name.
std::string render_prometheus();

/// The current value of every counter and gauge, collectors included (for
/// JSON views).
std::vector<sample> snapshot();

} // namespace troupe::metrics
