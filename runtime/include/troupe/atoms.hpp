#pragma once
// The supervisor's documented protocol: what troupe::supervisor sends, for
// actors that talk to a supervisor's handle directly (asynchronously, with
// the same arguments and replies as the blocking calls). The supervisor's
// internal messages are in runtime/src/supervision/supervisor_protocol.hpp;
// the node agent's local requests are in troupe/cluster_agent.hpp.
//
//   (start_child_atom, child_spec)         -> caf::actor
//   (start_child_atom, caf::message args)  -> caf::actor   simple_one_for_one
//   (terminate_child_atom, std::string id) -> void
//   (terminate_child_atom, caf::actor)     -> void
//   (restart_child_atom, std::string id)   -> caf::actor
//   (delete_child_atom, std::string id)    -> void
//   (which_children_atom)                  -> std::vector<child_info>
//   (count_children_atom)                  -> child_counts
// Errors: errc::no_such_child, child_already_exists, wrong_strategy (a
// template call to another strategy, or the reverse), child_start_failed.

#include <caf/atom.hpp>

namespace troupe {

/// Adds and starts a child (or, for simple_one_for_one, one more instance).
using start_child_atom = caf::atom_constant<caf::atom("t_startch")>;
/// Stops a child; its spec stays unless it is temporary or dynamic.
using terminate_child_atom = caf::atom_constant<caf::atom("t_termch")>;
/// Starts a stopped child again from its spec.
using restart_child_atom = caf::atom_constant<caf::atom("t_rstch")>;
/// Removes the spec of a stopped child.
using delete_child_atom = caf::atom_constant<caf::atom("t_delch")>;
/// Lists the children (OTP's which_children).
using which_children_atom = caf::atom_constant<caf::atom("t_which")>;
/// Counts specs and running children (OTP's count_children).
using count_children_atom = caf::atom_constant<caf::atom("t_count")>;

} // namespace troupe
