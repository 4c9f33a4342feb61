#pragma once
// A supervisor described as data (OTP's sup_flags + child specs).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/actor.hpp>
#include <caf/timespan.hpp>

#include "troupe/child_spec.hpp"

namespace troupe {

/// Which children a supervisor restarts when one of them fails.
enum class restart_strategy : uint8_t {
  one_for_one,       ///< only the failed child
  one_for_all,       ///< every child: all are stopped, then all restarted
  rest_for_one,      ///< the failed child and every child started after it
  simple_one_for_one ///< one_for_one over dynamic children of one template
};

inline constexpr restart_strategy one_for_one = restart_strategy::one_for_one;
inline constexpr restart_strategy one_for_all = restart_strategy::one_for_all;
inline constexpr restart_strategy rest_for_one = restart_strategy::rest_for_one;
inline constexpr restart_strategy simple_one_for_one
  = restart_strategy::simple_one_for_one;

/// "one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one".
std::string to_string(restart_strategy x);

/// What a supervisor reports to `supervisor_spec::on_event`.
struct supervisor_event {
  enum kind_t : uint8_t {
    child_started,   ///< a child (re)started; `child` is the new handle
    child_exited,    ///< a child ended on its own; `reason` says why
    child_stopped,   ///< the supervisor stopped a child (shutdown or restart)
    start_failed,    ///< a child's factory failed; `reason` says why
    escalating,      ///< restart intensity exceeded: the supervisor gives up
  };
  kind_t kind;
  std::string supervisor; ///< the supervisor's name (its id in the parent)
  std::string child_id;   ///< the child's id in its supervisor's spec
  caf::actor child;       ///< the child's handle, if it has one
  caf::error reason;      ///< why it exited, failed or escalates
};

/// One line for logs, e.g. `supervisor "root": child "c" exited (...)`.
std::string to_string(const supervisor_event& ev);

/// A supervisor described as data: OTP's sup_flags (strategy, intensity,
/// period) and its child specs, e.g.
///   supervisor_spec{.strategy = one_for_one, .intensity = 5, .period = 10s,
///                   .children = {child("c", counter).named("c")}}
/// Start it with troupe::system::start or nest it with child("id", spec).
struct supervisor_spec {
  /// Which children are restarted when one fails.
  restart_strategy strategy = one_for_one;
  /// At most `intensity` restarts within `period`; one more and the
  /// supervisor stops its children and fails, escalating to its parent.
  int intensity = 3;
  caf::timespan period = std::chrono::seconds(5);
  /// Children in start order (for simple_one_for_one: the single template).
  std::vector<child_spec> children = {};
  /// Called in the supervisor's context for every event (keep it short).
  /// Supervisors report until the system has stopped them: whatever the
  /// hook touches must outlive the troupe::system.
  std::function<void(const supervisor_event&)> on_event = nullptr;
  /// Messages a stable name holds while its child restarts.
  size_t name_buffer = 1024;
};

} // namespace troupe
