#pragma once
// The node's side of child_spec::cluster_wide and in_group: registers the
// stable names and joins the groups that supervisors in this process ask
// for (supervision/cluster_names.hpp), through this node's agent.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace troupe::detail {

/// From now on, cluster requests of the supervisors of `sys` go to
/// `agent`; those made before the node started go now.
void serve_supervised_names(caf::actor_system& sys, const caf::actor& agent);

/// The node stops: later requests wait for another node.
void stop_serving_supervised_names(caf::actor_system& sys);

} // namespace troupe::detail
