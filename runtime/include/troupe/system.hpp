#pragma once
// troupe::system owns a caf::actor_system configured for troupe (middleman
// loaded, troupe's error category registered) and the stable-name table.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>

#include "troupe/config.hpp"
#include "troupe/supervisor.hpp"

namespace troupe {

class system {
public:
  /// `cfg` must outlive the system (as with caf::actor_system).
  explicit system(config& cfg);
  ~system();

  system(const system&) = delete;
  system& operator=(const system&) = delete;

  caf::actor_system& actors() noexcept {
    return sys_;
  }

  config& cfg() noexcept {
    return cfg_;
  }

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
  caf::expected<caf::actor> whereis(const std::string& name) const;

  std::string render(const caf::error& err) const;

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
