#pragma once
// Atoms of troupe's own protocols. User code needs them only to talk to
// supervisors directly instead of through troupe::supervisor.

#include <caf/atom.hpp>

namespace troupe {

using start_child_atom = caf::atom_constant<caf::atom("t_startch")>;
using terminate_child_atom = caf::atom_constant<caf::atom("t_termch")>;
using restart_child_atom = caf::atom_constant<caf::atom("t_rstch")>;
using delete_child_atom = caf::atom_constant<caf::atom("t_delch")>;
using which_children_atom = caf::atom_constant<caf::atom("t_which")>;
using count_children_atom = caf::atom_constant<caf::atom("t_count")>;
using bind_atom = caf::atom_constant<caf::atom("t_bind")>;
using adopt_atom = caf::atom_constant<caf::atom("t_adopt")>;
using unbind_atom = caf::atom_constant<caf::atom("t_unbind")>;
using retry_atom = caf::atom_constant<caf::atom("t_retry")>;
using shutdown_timeout_atom = caf::atom_constant<caf::atom("t_shuttmo")>;

// Node agent protocol.
using join_atom = caf::atom_constant<caf::atom("t_join")>;
using gossip_atom = caf::atom_constant<caf::atom("t_gossip")>;
using heartbeat_atom = caf::atom_constant<caf::atom("t_hbeat")>;
using members_atom = caf::atom_constant<caf::atom("t_members")>;
using leave_atom = caf::atom_constant<caf::atom("t_leave")>;
using subscribe_atom = caf::atom_constant<caf::atom("t_subscr")>;
using tick_atom = caf::atom_constant<caf::atom("t_tick")>;
using bound_atom = caf::atom_constant<caf::atom("t_bound")>;
using register_atom = caf::atom_constant<caf::atom("t_reg")>;
using registry_atom = caf::atom_constant<caf::atom("t_regsync")>;
using whereis_atom = caf::atom_constant<caf::atom("t_whereis")>;
using spawn_atom = caf::atom_constant<caf::atom("t_spawn")>;
using group_join_atom = caf::atom_constant<caf::atom("t_gjoin")>;
using group_sync_atom = caf::atom_constant<caf::atom("t_gsync")>;
using group_members_atom = caf::atom_constant<caf::atom("t_gmembers")>;
using stop_spawned_atom = caf::atom_constant<caf::atom("t_stopsp")>;
using place_atom = caf::atom_constant<caf::atom("t_place")>;
using await_member_atom = caf::atom_constant<caf::atom("t_awaitmb")>;
using wake_atom = caf::atom_constant<caf::atom("t_wake")>;
/// Key of the node agent in CAF's actor registry (set by node::start).
using node_agent_atom = caf::atom_constant<caf::atom("t_agent")>;

} // namespace troupe
