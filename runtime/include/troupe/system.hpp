#pragma once
// troupe::system: the root object of a troupe process.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>

#include "troupe/config.hpp"
#include "troupe/supervisor.hpp"

namespace troupe {

/// Owns a caf::actor_system configured for troupe (middleman loaded,
/// troupe's error category and supervision types registered, scheduler
/// defaults from bench/RESULTS.md), the supervision trees started through
/// it and their stable names. Destroying it stops those trees (each child
/// gets `user_shutdown`, in reverse start order) and waits for every actor
/// of the system, as caf::actor_system does; messages still in mailboxes
/// then are lost. A cluster node owns one (troupe::node::sys()).
class system {
public:
  /// Prepares `cfg` and starts the actor system. `cfg` must outlive the
  /// system (as with caf::actor_system).
  explicit system(config& cfg);
  /// Stops the trees started with `start`, then waits for all actors.
  ~system();

  system(const system&) = delete;
  system& operator=(const system&) = delete;

  /// The CAF actor system, for everything troupe does not wrap.
  caf::actor_system& actors() noexcept {
    return sys_;
  }

  /// The configuration the system was started with.
  config& cfg() noexcept {
    return cfg_;
  }

  /// Spawns an actor as caf::actor_system::spawn does (unsupervised).
  template <class... Ts>
  auto spawn(Ts&&... xs) {
    return sys_.spawn(std::forward<Ts>(xs)...);
  }

  /// Starts a top-level supervisor and waits until its children are up.
  /// Fails with the reason of the first child that could not start.
  caf::expected<supervisor>
  start(supervisor_spec spec, std::string name = "root",
        caf::timespan timeout = std::chrono::seconds(30));

  /// The handle behind a stable name of a supervised child (on this node).
  /// Messages sent to it reach the current incarnation of the child.
  /// errc::unknown_name if no supervised child has that name. (Names in the
  /// cluster registry: troupe::node::whereis.)
  caf::expected<caf::actor> whereis(const std::string& name) const;

private:
  static config& prepare(config& cfg);

  config& cfg_;
  caf::actor_system sys_;
  std::vector<caf::actor> started_;
};

/// The stable name `name` of a supervised child on `sys`, for code that has
/// only the caf::actor_system (e.g. inside an actor: `self->system()`).
caf::expected<caf::actor> whereis(caf::actor_system& sys, const std::string& name);

} // namespace troupe
