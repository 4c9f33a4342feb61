#pragma once
// Rate-limited warnings: a peer that misbehaves in a loop must not flood the
// log (or the disk). At most `burst` lines per key per `period`; the next
// line after a quiet spell says how many were suppressed.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "troupe/log.hpp"

namespace troupe::detail {

class log_limiter {
public:
  explicit log_limiter(int burst = 5,
                       std::chrono::milliseconds period = std::chrono::seconds(10))
    : burst_(burst), period_(period) {
  }

  /// Logs `message` as a warning of `component` unless `key` was logged
  /// `burst` times in the current period.
  void warning(const std::string& key, std::string_view component,
               const std::string& message) {
    auto now = std::chrono::steady_clock::now();
    uint64_t suppressed = 0;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (entries_.size() > 4096)
        entries_.clear(); // keys are bounded: forget old ones wholesale
      auto& e = entries_[key];
      if (now - e.start >= period_) {
        suppressed = e.suppressed;
        e = entry{now, 0, 0};
      }
      if (e.count >= burst_) {
        ++e.suppressed;
        return;
      }
      ++e.count;
    }
    if (suppressed > 0)
      log::warning(component, message + " (" + std::to_string(suppressed)
                                + " similar lines suppressed)");
    else
      log::warning(component, message);
  }

private:
  struct entry {
    std::chrono::steady_clock::time_point start{};
    int count = 0;
    uint64_t suppressed = 0;
  };
  int burst_;
  std::chrono::milliseconds period_;
  std::mutex mtx_;
  std::unordered_map<std::string, entry> entries_;
};

} // namespace troupe::detail
