#pragma once
// The supervisor actor: OTP supervisor semantics on CAF links. Internal; users
// go through troupe::supervisor and troupe::system::start.

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "troupe/supervisor_spec.hpp"

namespace troupe::detail {

/// Spawns a supervisor. With `parent`, the supervisor is spawned by and
/// linked to it (a nested supervisor); otherwise it is top-level.
caf::actor spawn_supervisor_linked(caf::local_actor* parent,
                                   std::shared_ptr<const supervisor_spec> spec,
                                   std::string name);

caf::actor spawn_supervisor_top(caf::actor_system& sys,
                                std::shared_ptr<const supervisor_spec> spec,
                                std::string name);

} // namespace troupe::detail
