#pragma once
// troupe::system: the root object of a troupe process.

#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>

#include "troupe/config.hpp"
#include "troupe/supervisor.hpp"

namespace troupe {

/// What `system::shutdown` found still running after the grace period.
struct stop_report {
  /// Actors started with `system::spawn` that had to be stopped.
  size_t stopped = 0;
  /// Of those, how many there were of each type ("ticker", "main::lambda").
  std::vector<std::pair<std::string, size_t>> by_type;
  /// Actors not started by `system::spawn` (`actors().spawn`, spawned by
  /// other actors) still running after the grace period; shutdown waits for
  /// them, as caf::actor_system does.
  size_t others = 0;
};

/// Owns a caf::actor_system configured for troupe (middleman loaded,
/// troupe's error category and supervision types registered, scheduler
/// defaults from bench/RESULTS.md), the supervision trees started through
/// it and their stable names. Destroying it calls `shutdown()`: stops those
/// trees (each child gets `user_shutdown`, in reverse start order), stops
/// what `spawn` started and still runs after `troupe.stop-grace`, and waits
/// for every actor of the system; messages still in mailboxes then are
/// lost. A cluster node owns one (troupe::node::sys()).
class system {
public:
  /// Prepares `cfg` and starts the actor system. `cfg` must outlive the
  /// system (as with caf::actor_system).
  explicit system(config& cfg);
  /// `shutdown()`, then frees the actor system.
  ~system();

  /// Stops the system, never waiting without bound for an actor `spawn`
  /// started: stops the trees started with `start`; waits up to
  /// `troupe.stop-grace` (default 1s) for the actors started with `spawn`
  /// to end; logs a warning naming those still running (type and count)
  /// and sends them `user_shutdown`, then `kill` after another grace
  /// period; finally waits for every other actor of the system (it logs how
  /// many still run after the grace period: those are stopped by nobody
  /// but themselves, as in CAF). Idempotent; the system cannot spawn
  /// afterwards.
  stop_report shutdown();

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

  /// Spawns an actor as caf::actor_system::spawn does (unsupervised). The
  /// system remembers it, so that `shutdown` can name and stop it if it
  /// still runs then (an actor that should outlive a crash belongs under a
  /// supervisor: `start`).
  template <class T, caf::spawn_options Os = caf::no_spawn_options,
            class... Ts>
  auto spawn(Ts&&... xs) {
    auto hdl = sys_.spawn<T, Os>(std::forward<Ts>(xs)...);
    track(caf::actor_cast<caf::actor_addr>(hdl), typeid(T), nullptr);
    return hdl;
  }

  /// Spawns a function-based actor (see above).
  template <caf::spawn_options Os = caf::no_spawn_options, class F,
            class... Ts>
  auto spawn(F fun, Ts&&... xs) {
    const void* fn = nullptr; // a function's name is found by its address
    if constexpr (std::is_pointer_v<F>)
      fn = reinterpret_cast<const void*>(fun);
    auto hdl = sys_.spawn<Os>(std::move(fun), std::forward<Ts>(xs)...);
    track(caf::actor_cast<caf::actor_addr>(hdl), typeid(F), fn);
    return hdl;
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
  struct spawned {
    caf::actor_addr addr;
    const std::type_info* type;
    const void* fn;
  };

  static config& prepare(config& cfg);
  void track(caf::actor_addr addr, const std::type_info& type, const void* fn);

  config& cfg_;
  caf::actor_system sys_;
  std::vector<caf::actor> started_;
  std::mutex spawned_mtx_;
  std::vector<spawned> spawned_;
  size_t prune_at_ = 64;
  bool stopped_ = false;
};

/// The stable name `name` of a supervised child on `sys`, for code that has
/// only the caf::actor_system (e.g. inside an actor: `self->system()`).
caf::expected<caf::actor> whereis(caf::actor_system& sys, const std::string& name);

} // namespace troupe
