#pragma once
// Failure detection by heartbeats, and the downing policy, without actors.
// Every tick the agent asks which members to suspect, to mark down, or to
// trust again, from the last time it heard from each (peer::last_seen,
// refreshed by their heartbeats). Detection only suspects; marking down is
// the downing policy's decision (DESIGN.md: detection and downing are
// separate), so that a different policy (keep-majority) replaces one
// function. A broken connection is the other source of `down` (the agent's
// down handler), faster than any timeout.

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

  failure_detector(caf::timespan suspect_after, caf::timespan down_after)
      : suspect_after_(suspect_after), down_after_(down_after) {}

  /// The downing policy: a member silent for longer than `down_after` is
  /// down. (Timeout-based; a member only this node cannot hear is downed by
  /// this node alone.)
  bool should_down(clock::duration silent) const {
    return silent > down_after_;
  }

  /// One tick's verdicts about the members that are alive.
  std::vector<verdict> check(const std::map<std::string, peer>& peers,
                             clock::time_point now) const;

private:
  caf::timespan suspect_after_{};
  caf::timespan down_after_{};
};

} // namespace troupe::detail
