#pragma once
// The rules of supervision without the actors: when a child is restarted,
// which siblings go with it, and when the supervisor gives up. This is the
// part of OTP's supervisor.erl that decides (restart/2, add_restart/1); the
// supervisor actor only carries the decisions out. Internal to troupe.

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "troupe/child_spec.hpp"
#include "troupe/supervisor_spec.hpp"

namespace troupe::supervision {

/// OTP's restart intensity: at most `intensity` restarts within `period`.
/// A restart exactly `period` old still counts; an older one no longer does.
class restart_window {
public:
  using clock = std::chrono::steady_clock;

  restart_window(int intensity, caf::timespan period);

  /// Records a restart at `now` (time points must not go backwards). Returns
  /// false when this restart is one more than the intensity allows: the
  /// supervisor must give up instead of restarting.
  [[nodiscard]] bool note_restart(clock::time_point now);

  /// Restarts that still count, including the one just noted.
  size_t recent() const noexcept {
    return restarts_.size();
  }

private:
  size_t intensity_;
  caf::timespan period_;
  std::deque<clock::time_point> restarts_;
};

/// Whether `reason` ends a child normally: no reason, `normal`, or
/// `user_shutdown` (OTP's normal, shutdown and {shutdown, _}).
bool is_normal_exit(const caf::error& reason);

/// Whether a child of restart type `type` that ended with `reason` is
/// started again: permanent always, transient only after an abnormal exit,
/// temporary never.
bool should_restart(restart type, const caf::error& reason);

/// What a supervisor does when one of its children failed.
struct restart_plan {
  /// Running siblings to stop first, newest first (reverse start order).
  /// The failed child is not among them: it is gone already.
  std::vector<std::string> stop;
  /// Children to start again once those are stopped, oldest first (start
  /// order); always includes the failed child.
  std::vector<std::string> restart;
};

/// The children to stop and restart under `strategy` when child
/// `running[failed]` failed. `running` lists, in start order, the children
/// that were running when it failed, the failed one included.
/// @pre `failed < running.size()`
restart_plan plan(restart_strategy strategy,
                  const std::vector<std::string>& running, size_t failed);

} // namespace troupe::supervision
