#pragma once
// Where node::spawn_on and remote children put an actor.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "troupe/member.hpp"

namespace troupe {

/// A policy that picks one of the worker members that are up (see
/// up_workers). The node keeps one placement state for every spawn_on and
/// remote child of its process, so round-robin turns and the load of recent
/// placements are shared by all of them (troupe/cluster_agent.hpp, `place`).
class placement {
public:
  /// The kinds of policy.
  enum class policy : uint8_t { round_robin, least_loaded, random, key_hash };

  static const placement round_robin;  ///< members in turn, by name
  /// Fewest running actors plus agent backlog (from heartbeats), counting
  /// the placements this node made since the member's last heartbeat.
  static const placement least_loaded;
  static const placement random;       ///< uniformly at random
  /// The same key goes to the same member for the same membership
  /// (troupe::stable_hash of the key, modulo the number of workers: a
  /// change of membership moves most keys).
  static placement key_hash(std::string key) {
    return placement{policy::key_hash, std::move(key)};
  }

  /// Which policy this is.
  policy kind() const noexcept {
    return kind_;
  }

  /// Picks one of `up` (members sorted by name, all up); `turn` is the
  /// caller's round-robin counter. Precondition: !up.empty(). The node keeps
  /// one such counter (and the load of its recent placements) for every
  /// spawn_on and remote child of its process: see troupe/cluster_agent.hpp.
  size_t pick(const std::vector<member_info>& up, uint64_t turn) const;

  /// Placements travel in requests to the local agent.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, placement& x) {
    return f(caf::meta::type_name("troupe.placement"), x.kind_, x.key_);
  }

private:
  placement(policy kind, std::string key = {}) : kind_(kind), key_(std::move(key)) {
  }

  policy kind_;
  std::string key_;
};

inline const placement placement::round_robin{placement::policy::round_robin};
inline const placement placement::least_loaded{placement::policy::least_loaded};
inline const placement placement::random{placement::policy::random};

} // namespace troupe
