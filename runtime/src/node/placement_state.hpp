#pragma once
// The one placement state of a node: the round-robin turn and the load of
// recent placements, shared by node::spawn_on and every remote child of the
// process (the agent owns it and answers their `place` requests). With a
// state per caller, two callers would both start at the first member; with
// loads only from heartbeats, a burst of least_loaded placements would all
// go to the member that was least loaded a heartbeat ago.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "troupe/member.hpp"
#include "troupe/placement.hpp"

namespace troupe::detail {

class placement_state {
public:
  /// Orders `workers` (see up_workers: up, connected, sorted by name) for one
  /// placement: the policy's choice first, then the others in turn, to try
  /// when the choice does not answer. Advances the turn and counts the
  /// choice as load of that member until its next heartbeat.
  std::vector<member_info> order(const placement& where,
                                 const std::vector<member_info>& workers);

  /// A heartbeat of `member` arrived: the load it reports now counts what was
  /// placed there before.
  void heard_from(const std::string& member);

  /// Placements on `member` since its last heartbeat.
  uint64_t placed_since_heartbeat(const std::string& member) const;

private:
  uint64_t turn_ = 0;
  std::map<std::string, uint64_t> placed_;
};

} // namespace troupe::detail
