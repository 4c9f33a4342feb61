#pragma once
// The actors this node hosts for other nodes (remote spawn): the allowlist
// of exported types, the actors spawned through it with the member that
// asked for each, the per-member quota and rate, and stopping them when
// their member goes or the node stops. Nothing else stops them: CAF keeps
// every actor it has sent over the network alive (no distributed GC), and
// the system waits for all actors when it shuts down.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

#include "core/rate_limiter.hpp"

namespace troupe::detail {

/// How much one member may make this node host.
struct spawn_limits {
  /// Live actors spawned here for one member at most.
  size_t max_per_member = 10000;
  /// Spawns per second for one member (a burst of as many is allowed).
  double per_second = 1000;
};

class hosted_actors {
public:
  hosted_actors() = default;

  /// `node` names this node in errors; `exported` is the allowlist.
  hosted_actors(std::string node, std::vector<std::string> exported,
                spawn_limits limits = {})
      : node_(std::move(node)), exported_(std::move(exported)),
        limits_(limits) {}

  /// The allowlist: no error if `type` is exported here; otherwise
  /// errc::not_allowed when this node knows the type (`known`: registered
  /// with add_actor_type but not exported), errc::unknown_actor_type when
  /// it does not.
  caf::error admit(const std::string& type, bool known) const;

  /// Spawns an exported type in `sys` for member `owner` (errors: admit's;
  /// errc::not_allowed when the member reached its quota or rate;
  /// errc::bad_arguments when `args` do not fit). The caller monitors the
  /// actor and reports its end with erase().
  caf::expected<caf::actor> spawn(caf::actor_system& sys,
                                  const std::string& type, caf::message args,
                                  const std::string& owner);

  /// A hosted actor ended; the stop waiting for the last one is answered.
  void erase(const caf::actor_addr& who);

  /// Every hosted actor.
  std::vector<caf::actor> actors() const;

  /// The hosted actors spawned for `owner`.
  std::vector<caf::actor> actors_of(const std::string& owner) const;

  /// How many actors are hosted.
  size_t size() const noexcept {
    return spawned_.size();
  }

  /// Answers `rp` once no hosted actor is left.
  void when_all_stopped(caf::response_promise rp);

private:
  struct hosted {
    caf::actor handle;
    std::string owner;
  };

  std::string node_;
  std::vector<std::string> exported_;
  spawn_limits limits_;
  std::vector<hosted> spawned_;
  std::map<std::string, size_t> per_owner_;
  std::map<std::string, rate_limiter> rates_;
  std::vector<caf::response_promise> awaiting_stop_;
};

} // namespace troupe::detail
