#pragma once
// What one peer node sent and received over troupe's transport, since its
// first connection of this lifetime. The entry of a node (transport_core's
// peer) owns it; each of its connections keeps a pointer, looked up once
// when the connection is routed, so counting a frame is one relaxed
// atomic add on the connection's own peer, with no lookup and no lock.
// Internal to runtime/src/transport.

#include <atomic>
#include <cstdint>

#include "troupe/metrics.hpp"

namespace troupe::detail {

struct peer_traffic {
  /// A no-op with --troupe.metrics=off (then stats() and the series
  /// stand still).
  static void add(std::atomic<uint64_t>& x, uint64_t n) noexcept {
    if (metrics::enabled())
      x.fetch_add(n, std::memory_order_relaxed);
  }
  std::atomic<uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0},
      dropped{0};
};

} // namespace troupe::detail
