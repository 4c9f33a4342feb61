#pragma once
// The actors this node hosts for other nodes (remote spawn): the allowlist
// of exported types, the actors spawned through it, and stopping them when
// the node stops. Nothing else stops them: CAF keeps every actor it has sent
// over the network alive (no distributed GC), and the system waits for all
// actors when it shuts down.

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

namespace troupe::detail {

class hosted_actors {
public:
  hosted_actors() = default;

  /// `node` names this node in errors; `exported` is the allowlist.
  hosted_actors(std::string node, std::vector<std::string> exported)
      : node_(std::move(node)), exported_(std::move(exported)) {}

  /// The allowlist: no error if `type` is exported here; otherwise
  /// errc::not_allowed when this node knows the type (`known`: registered
  /// with add_actor_type but not exported), errc::unknown_actor_type when
  /// it does not.
  caf::error admit(const std::string& type, bool known) const;

  /// Spawns an exported type in `sys` for another node (errors: admit's,
  /// and errc::bad_arguments when `args` do not fit). The caller monitors
  /// the actor and reports its end with erase().
  caf::expected<caf::actor> spawn(caf::actor_system& sys,
                                  const std::string& type, caf::message args);

  /// A hosted actor ended; the stop waiting for the last one is answered.
  void erase(const caf::actor_addr& who);

  const std::vector<caf::actor>& actors() const noexcept {
    return spawned_;
  }

  /// Answers `rp` once no hosted actor is left.
  void when_all_stopped(caf::response_promise rp);

private:
  std::string node_;
  std::vector<std::string> exported_;
  std::vector<caf::actor> spawned_;
  std::vector<caf::response_promise> awaiting_stop_;
};

} // namespace troupe::detail
