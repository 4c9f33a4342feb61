#pragma once
// A supervised child described as data, as in OTP: how to create it, when to
// restart it, how to stop it, and the stable name it answers to.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_factory.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

namespace troupe {

/// When a child is restarted after it terminates (OTP's restart types).
enum class restart : uint8_t {
  permanent, ///< always restarted
  transient, ///< restarted only after an abnormal exit
  temporary, ///< never restarted; its spec is dropped when it ends
};

std::string to_string(restart x);

struct supervisor_spec;
struct child_spec;
class placement; // the node layer's (troupe/placement.hpp), see child_spec::on

/// A child created from an actor type registered with `add_actor_type`.
struct registered_type {
  std::string name;
};

/// A child that is itself a supervisor (OTP's `type => supervisor`).
using nested_supervisor = std::shared_ptr<const supervisor_spec>;

/// A child created by code of a higher layer, e.g. the node layer's stand-in
/// of a remote child (`child_spec::on`). The supervisor calls it in its own
/// context with the child's final spec and its own name, then links to,
/// monitors and names the actor it returns, as for any other child; an
/// error is a failed start (`child_start_failed`).
using child_spawner = std::function<caf::expected<caf::actor>(
  caf::local_actor* supervisor, const child_spec& spec,
  const std::string& supervisor_name)>;

/// The ways to create a child; a spec holds exactly one. A
/// `caf::actor_factory` is a behavior function made with
/// `caf::make_actor_factory` (what `child("id", fn, args...)` builds).
using child_start = std::variant<caf::actor_factory, registered_type,
                                 nested_supervisor, child_spawner>;

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
  /// The stable name is also registered in the cluster registry (see
  /// cluster_wide()).
  bool in_cluster = false;
  /// Process groups the stable name joins (see in_group()).
  std::vector<std::string> groups;
  /// How the supervisor creates the child.
  child_start start;
  /// Arguments passed to the factory or type after the actor pointer.
  caf::message args;

  /// Whether the child is a nested supervisor.
  bool is_supervisor() const noexcept {
    return std::holds_alternative<nested_supervisor>(start);
  }

  child_spec& permanent() & { restart_type = restart::permanent; return *this; }
  child_spec& transient() & { restart_type = restart::transient; return *this; }
  child_spec& temporary() & { restart_type = restart::temporary; return *this; }
  child_spec& named(std::string stable_name) & {
    name = std::move(stable_name);
    return *this;
  }
  /// Registers the stable name (named(), required) in the cluster registry
  /// as well, once a troupe::node runs in this process (at once if it runs
  /// already): every member's node::lookup finds it, as Erlang's
  /// {global, Name}. What is registered is the name's forwarder, which
  /// outlives every incarnation of the child: callers on other nodes keep
  /// one handle across restarts, and messages sent while the child
  /// restarts wait in the forwarder's buffer (the supervisor's
  /// name_buffer; beyond it they are dropped). The registration ends when
  /// the name does (the supervisor stops the child for good) or when this
  /// node goes. A conflict with another node's registration of the name is
  /// resolved as for node::register_name and logged. Without a node in the
  /// process the name stays local. Remote children (on()) register their
  /// name cluster-wide anyway, per incarnation.
  child_spec& cluster_wide() & {
    in_cluster = true;
    return *this;
  }
  /// Joins process group `group` with the stable name (named(), required),
  /// once a troupe::node runs in this process: node::group_members lists
  /// the child's forwarder, so the group keeps the child across restarts
  /// (Erlang's pg would need every incarnation to join again). It leaves
  /// the group when the name ends or this node goes.
  child_spec& in_group(std::string group) & {
    groups.push_back(std::move(group));
    return *this;
  }
  child_spec& shutdown(caf::timespan timeout) & {
    shutdown_timeout = timeout;
    return *this;
  }
  child_spec& brutal_kill() & { shutdown_timeout = caf::timespan{0}; return *this; }

  /// Runs the child on a cluster member chosen by `where`: the registered
  /// type of `child("id", "type", args)`, exported on the worker members,
  /// is spawned there through the node layer, which defines this function
  /// (runtime/src/node/remote_child.cpp) and needs a running troupe::node in
  /// the supervisor's process. When the child's node dies the supervisor
  /// restarts it, placed again among the live members. On a spec that is
  /// not a registered type the child fails to start (`child_start_failed`).
  child_spec& on(const placement& where) &;

  // Rvalue overloads so that specs read as one expression:
  // child("c", counter).transient().named("c")
  child_spec&& permanent() && { return std::move(permanent()); }
  child_spec&& transient() && { return std::move(transient()); }
  child_spec&& temporary() && { return std::move(temporary()); }
  child_spec&& named(std::string n) && { return std::move(named(std::move(n))); }
  child_spec&& cluster_wide() && { return std::move(cluster_wide()); }
  child_spec&& in_group(std::string g) && { return std::move(in_group(std::move(g))); }
  child_spec&& shutdown(caf::timespan t) && { return std::move(shutdown(t)); }
  child_spec&& brutal_kill() && { return std::move(brutal_kill()); }
  child_spec&& on(const placement& where) && { return std::move(on(where)); }
};

/// A child created by a behavior function, e.g. `child("counter", counter)`
/// or `child("shard", shard_fn, shard_index)`.
template <class F, class... Ts>
  requires(!std::is_convertible_v<F, std::string>)
child_spec child(std::string id, F fun, Ts&&... args) {
  child_spec spec;
  spec.id = std::move(id);
  spec.start = caf::make_actor_factory(std::move(fun));
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
