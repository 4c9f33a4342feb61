#pragma once
// A supervised child that runs on another node. Internal: the supervisor
// spawns one for every child spec with a placement (`child_spec::on`).

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "troupe/child_spec.hpp"

namespace troupe::detail {

/// Spawns, in `parent`'s system, the local stand-in of a remote child. The
/// stand-in is what the supervisor links to, monitors and names; see
/// remote_child.cpp for why.
caf::actor spawn_remote_child(caf::local_actor* parent, const child_spec& spec,
                              const std::string& supervisor_name);

} // namespace troupe::detail
