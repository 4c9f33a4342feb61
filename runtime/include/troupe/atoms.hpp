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

// The node agent's local requests (members, register, spawn...) are in
// troupe/cluster_agent.hpp; its peer-to-peer protocol is internal.

} // namespace troupe
