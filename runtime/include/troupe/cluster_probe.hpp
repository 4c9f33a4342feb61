#pragma once
// Reading a cluster from outside it, for `troupe top --seed`: the
// membership view of one node and each live member's own counters, over
// troupe's protocol (no HTTP endpoint needed). The probe does not join:
// it connects as `troupe status` does (the cluster secret or TLS still
// apply), so watching a cluster adds no member and no member events.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "troupe/member.hpp"

namespace troupe {

/// A member's counters since its process started (its metrics registry;
/// troupe.metrics=off leaves them standing still).
struct member_counters {
  uint64_t messages_in = 0;  ///< frames read from peers
  uint64_t messages_out = 0; ///< frames written to peers
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t dropped = 0;  ///< messages the transport dropped
  uint64_t restarts = 0; ///< child restarts, every supervisor together
};

/// One look at a cluster: the view of the node asked, and the counters of
/// each member in that view (same order), nothing for a member that is not
/// live or did not answer in time.
struct cluster_sample {
  std::vector<member_info> members;
  std::vector<std::optional<member_counters>> counters;
};

/// Asks the node on `host:port` for its view, then each live member for
/// its counters, all within about `timeout` (each member gets what is
/// left of it). `sys` needs the node types (add_node_types), like
/// query_members; the error of the first node if it cannot be asked.
caf::expected<cluster_sample> sample_cluster(caf::actor_system& sys,
                                             const std::string& host,
                                             uint16_t port,
                                             caf::timespan timeout);

} // namespace troupe
