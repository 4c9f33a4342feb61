#pragma once
// Failure detection by heartbeats, and the downing policy, without actors.
// Every tick the agent asks which members to suspect, to mark down, or to
// trust again, from the last time it heard from each (peer::last_seen,
// refreshed by their heartbeats and acks). Detection only suspects; marking
// down is the downing policy's decision (DESIGN.md: detection and downing
// are separate), so that a different policy (keep-majority) replaces one
// function. A broken connection that cannot be made again is the other
// source of `down` (the agent's down handler), faster than any timeout.
//
// Suspicion needs evidence (SWIM with Lifeguard's refinements):
//  - silence longer than `suspect_after` makes a member `suspect`, which is
//    gossiped (the member hears it and refutes it with a higher
//    incarnation), never `down` at once;
//  - while it is suspect the agent probes it directly and through k other
//    members (agent_probes.cpp); any answer is evidence that it lives;
//  - `down` only once a whole probe round went unanswered, the suspicion
//    stood unrefuted for `suspect_timeout`, and the silence is longer than
//    `down_after`;
//  - a node whose own timer ran late by more than `suspect_after` (the
//    process was paused, or starved of CPU) was the one away: its peers'
//    silence is no evidence, so their clocks start again (excuse_pause)
//    instead of it accusing everyone when it wakes.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <caf/timespan.hpp>

#include "node/membership.hpp"

namespace troupe::detail {

class failure_detector {
public:
  using clock = std::chrono::steady_clock;

  struct verdict {
    std::string member;
    member_state state; ///< suspect, down, or up (heard from again)
    std::string why;
  };

  failure_detector() = default;

  failure_detector(caf::timespan suspect_after, caf::timespan down_after,
                   caf::timespan suspect_timeout)
      : suspect_after_(suspect_after),
        down_after_(down_after),
        suspect_timeout_(suspect_timeout) {}

  /// The downing policy: a suspect member is down once its silence is
  /// longer than `down_after`, its suspicion stood for `suspect_timeout`,
  /// and a probe round through other members went unanswered since it
  /// began. (A member only this node cannot hear is answered for by the
  /// others' probes, so it is not downed on this node's word alone.)
  bool should_down(const peer& p, clock::time_point now) const;

  /// One tick's verdicts about the members that are alive.
  std::vector<verdict> check(const std::map<std::string, peer>& peers,
                             clock::time_point now) const;

  /// Lifeguard's local-health check: the tick that was due at `due` runs at
  /// `now`. Later than `suspect_after`, this node was away (paused, or
  /// starved): what it did not hear meanwhile is no evidence, so every live
  /// peer's silence starts again at `now`. Returns how late the tick was if
  /// it excused the pause, zero otherwise.
  clock::duration excuse_pause(std::map<std::string, peer>& peers,
                               clock::time_point due,
                               clock::time_point now) const;

  caf::timespan suspect_after() const noexcept {
    return suspect_after_;
  }
  caf::timespan suspect_timeout() const noexcept {
    return suspect_timeout_;
  }

private:
  caf::timespan suspect_after_{};
  caf::timespan down_after_{};
  caf::timespan suspect_timeout_{};
};

} // namespace troupe::detail
