#pragma once
// A handle to a running supervisor with OTP's supervisor API.

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "troupe/supervisor_spec.hpp"

namespace troupe {

/// One row of `which_children` (OTP's {Id, Child, Type, Modules}).
struct child_info {
  std::string id;
  caf::actor handle; ///< invalid while the child is not running
  restart restart_type = restart::permanent;
  bool is_supervisor = false;
  std::string name; ///< stable name, empty for none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("troupe.child_info"), x.id, x.handle,
           x.restart_type, x.is_supervisor, x.name);
}

/// OTP's count_children.
struct child_counts {
  size_t specs = 0;       ///< child specs, running or not
  size_t active = 0;      ///< children running now
  size_t supervisors = 0; ///< specs of nested supervisors
  size_t workers = 0;     ///< specs of other children
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_counts& x) {
  return f(caf::meta::type_name("troupe.child_counts"), x.specs, x.active,
           x.supervisors, x.workers);
}

/// Spawns a top-level supervisor (not linked to anyone). Prefer
/// `troupe::system::start`, which also wires the stable-name table.
caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec,
                            std::string name = "root");

/// A handle to a running supervisor with OTP's run-time API (start, stop,
/// restart and delete children, list and count them). Every call blocks
/// the calling thread for at most its `timeout` and fails with
/// errc::timeout after it (the supervisor may still act on the request);
/// a supervisor that is gone answers request_receiver_down. From inside an
/// actor do not block: send the atoms of troupe/atoms.hpp to `handle()`
/// (same arguments, same replies, asynchronously). Copies refer to the same
/// supervisor; the handle does not keep it running.
class supervisor {
public:
  /// Time a call waits for the supervisor's answer by default.
  static constexpr caf::timespan default_timeout = std::chrono::seconds(30);

  /// An empty handle (false in a boolean context).
  supervisor() = default;
  /// A handle to the supervisor actor `handle`, running in `sys`.
  supervisor(caf::actor_system& sys, caf::actor handle);

  /// The supervisor actor itself (to link to, monitor or message).
  const caf::actor& handle() const noexcept {
    return handle_;
  }

  /// Whether the handle refers to a supervisor.
  explicit operator bool() const noexcept {
    return static_cast<bool>(handle_);
  }

  /// Adds and starts a child; returns its handle.
  caf::expected<caf::actor> start_child(child_spec spec,
                                        caf::timespan timeout = default_timeout);

  /// simple_one_for_one: starts one more child from the template, with
  /// `args` appended to the template's arguments.
  caf::expected<caf::actor>
  start_child(caf::message args, caf::timespan timeout = default_timeout);

  /// Stops the child (orderly, within its shutdown timeout); its spec stays
  /// unless it is temporary or dynamic.
  caf::error terminate_child(const std::string& id,
                             caf::timespan timeout = default_timeout);
  /// The same for a child given by its handle (a dynamic child of a
  /// simple_one_for_one supervisor, say).
  caf::error terminate_child(const caf::actor& child,
                             caf::timespan timeout = default_timeout);

  /// Starts a stopped child again from its spec.
  caf::expected<caf::actor>
  restart_child(const std::string& id, caf::timespan timeout = default_timeout);

  /// Removes the spec of a stopped child.
  caf::error delete_child(const std::string& id,
                          caf::timespan timeout = default_timeout);

  /// One row per child spec, in start order (OTP's which_children).
  caf::expected<std::vector<child_info>>
  which_children(caf::timespan timeout = default_timeout);

  /// How many specs and running children there are (OTP's count_children).
  caf::expected<child_counts>
  count_children(caf::timespan timeout = default_timeout);

  /// Stops the supervisor and all its children in reverse start order and
  /// waits until it is gone.
  caf::error shutdown(caf::timespan timeout = default_timeout);

private:
  caf::actor_system* sys_ = nullptr;
  caf::actor handle_;
};

} // namespace troupe
