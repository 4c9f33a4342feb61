#pragma once
// A supervised child described as data, as in OTP: how to create it, when to
// restart it, how to stop it, and the stable name it answers to.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/actor_factory.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "troupe/placement.hpp"

namespace troupe {

/// When a child is restarted after it terminates (OTP's restart types).
enum class restart : uint8_t {
  permanent, ///< always restarted
  transient, ///< restarted only after an abnormal exit
  temporary, ///< never restarted; its spec is dropped when it ends
};

std::string to_string(restart x);

struct supervisor_spec;

/// Describes one child of a supervisor. Build it with `troupe::child(...)`.
struct child_spec {
  /// Unique among the supervisor's children; used in events and API calls.
  std::string id;
  restart restart_type = restart::permanent;
  /// Time the child gets to stop after `user_shutdown` before it is killed;
  /// zero means brutal kill (OTP's `brutal_kill`).
  caf::timespan shutdown_timeout = std::chrono::seconds(5);
  /// Stable name that survives restarts; empty for none.
  std::string name;

  // Exactly one way to create the child is set:
  /// A spawner made from a behavior function (`caf::make_actor_factory`).
  caf::actor_factory factory;
  /// A type registered with `add_actor_type` (later: exported for remote spawn).
  std::string type_name;
  /// A nested supervisor.
  std::shared_ptr<const supervisor_spec> nested;
  /// Arguments passed to the factory or type after the actor pointer.
  caf::message args;
  /// Set: a remote child, `type_name` spawned on a worker member chosen by
  /// this placement (the type must be exported there). When its node dies
  /// the supervisor restarts it on another live member. Needs a running
  /// troupe::node in this process.
  std::optional<placement> where;

  bool is_remote() const noexcept {
    return where.has_value();
  }

  bool is_supervisor() const noexcept {
    return nested != nullptr;
  }

  child_spec& permanent() & { restart_type = restart::permanent; return *this; }
  child_spec& transient() & { restart_type = restart::transient; return *this; }
  child_spec& temporary() & { restart_type = restart::temporary; return *this; }
  child_spec& named(std::string stable_name) & {
    name = std::move(stable_name);
    return *this;
  }
  child_spec& shutdown(caf::timespan timeout) & {
    shutdown_timeout = timeout;
    return *this;
  }
  child_spec& brutal_kill() & { shutdown_timeout = caf::timespan{0}; return *this; }
  /// Runs the child on a cluster member chosen by `p` (see `where`).
  child_spec& on(placement p) & {
    where = std::move(p);
    return *this;
  }

  // Rvalue overloads so that specs read as one expression:
  // child("c", counter).transient().named("c")
  child_spec&& permanent() && { return std::move(permanent()); }
  child_spec&& transient() && { return std::move(transient()); }
  child_spec&& temporary() && { return std::move(temporary()); }
  child_spec&& named(std::string n) && { return std::move(named(std::move(n))); }
  child_spec&& shutdown(caf::timespan t) && { return std::move(shutdown(t)); }
  child_spec&& brutal_kill() && { return std::move(brutal_kill()); }
  child_spec&& on(placement p) && { return std::move(on(std::move(p))); }
};

/// A child created by a behavior function, e.g. `child("counter", counter)`
/// or `child("shard", shard_fn, shard_index)`.
template <class F, class... Ts>
  requires(!std::is_convertible_v<F, std::string>)
child_spec child(std::string id, F fun, Ts&&... args) {
  child_spec spec;
  spec.id = std::move(id);
  spec.factory = caf::make_actor_factory(std::move(fun));
  spec.args = caf::make_message(std::forward<Ts>(args)...);
  return spec;
}

/// A child created from a registered actor type name, e.g.
/// `child("shard", "kv_shard", caf::make_message(3))`; with
/// `.on(placement::round_robin)` it runs on another node of the cluster.
child_spec child(std::string id, std::string type_name, caf::message args = {});

/// A nested supervisor.
child_spec child(std::string id, supervisor_spec spec);

} // namespace troupe

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::child_spec)
