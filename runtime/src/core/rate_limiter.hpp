#pragma once
// A small token bucket, without locks or actors: the owner (one actor)
// asks it before doing something that a peer can make it do too often
// (write a log line, spawn an actor). It remembers how many times it said
// no, so that the next line it lets through can say how many were dropped.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace troupe::detail {

/// At most `burst` events at once, refilled at `per_second` events a second.
class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  rate_limiter() = default;

  /// A bucket that starts full.
  rate_limiter(double per_second, double burst)
      : rate_(per_second), burst_(burst), tokens_(burst) {}

  /// True (and one token spent) if the event may happen at `now`; false
  /// counts it as suppressed.
  bool allow(clock::time_point now = clock::now()) {
    refill(now);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    ++suppressed_;
    return false;
  }

  /// How many events were refused since the last call, and resets it.
  uint64_t take_suppressed() noexcept {
    auto n = suppressed_;
    suppressed_ = 0;
    return n;
  }

  /// For a log line that allow() let through: " (N similar lines
  /// suppressed)" when some were, else empty.
  std::string suppressed_note() {
    auto n = take_suppressed();
    return n == 0 ? std::string{}
                  : " (" + std::to_string(n) + " similar lines suppressed)";
  }

private:
  void refill(clock::time_point now) {
    if (last_ != clock::time_point{}) {
      std::chrono::duration<double> dt = now - last_;
      tokens_ = std::min(burst_, tokens_ + dt.count() * rate_);
    }
    last_ = now;
  }

  double rate_ = 10;
  double burst_ = 10;
  double tokens_ = 10;
  uint64_t suppressed_ = 0;
  clock::time_point last_{};
};

} // namespace troupe::detail
