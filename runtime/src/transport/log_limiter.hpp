#pragma once
// Rate-limited warnings: a peer that misbehaves in a loop must not flood the
// log (or the disk). One core/rate_limiter bucket per key (at most `burst`
// lines at once, refilled at `burst` per `period`); the next line let
// through says how many were suppressed. Thread-safe: proxies, the I/O
// thread and the connector all log through one.

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/rate_limiter.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

class log_limiter {
public:
  explicit log_limiter(int burst = 5,
                       std::chrono::milliseconds period = std::chrono::seconds(10))
    : burst_(burst),
      per_second_(burst / std::chrono::duration<double>(period).count()) {
  }

  /// Logs `message` (with `fs`, see log.hpp) as a warning of `component`
  /// unless `key` used up its lines.
  void warning(const std::string& key, std::string_view component,
               const std::string& message, log::fields fs = {}) {
    std::string note;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (buckets_.size() > 4096)
        buckets_.clear(); // keys are bounded: forget old ones wholesale
      auto i = buckets_.try_emplace(key, per_second_, burst_).first;
      if (!i->second.allow())
        return;
      note = i->second.suppressed_note();
    }
    log::warning(component, message + note, fs);
  }

private:
  double burst_;
  double per_second_;
  std::mutex mtx_;
  std::unordered_map<std::string, rate_limiter> buckets_;
};

} // namespace troupe::detail
