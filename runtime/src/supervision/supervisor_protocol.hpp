#pragma once
// The supervision layer's internal messages: between a supervisor, its
// stable-name forwarders and its own timers. Not an API; the documented
// protocol is troupe/atoms.hpp.

#include <caf/atom.hpp>

namespace troupe {

/// supervisor -> forwarder: the name's child is (again) `child`.
using bind_atom = caf::atom_constant<caf::atom("t_bind")>;
/// name table -> forwarder: a new owner takes the name over.
using adopt_atom = caf::atom_constant<caf::atom("t_adopt")>;
/// supervisor -> forwarder: the child is down (final: for good).
using unbind_atom = caf::atom_constant<caf::atom("t_unbind")>;
/// supervisor -> itself: try a failed restart again.
using retry_atom = caf::atom_constant<caf::atom("t_retry")>;
/// stop sequence -> supervisor: a child's shutdown time is up.
using shutdown_timeout_atom = caf::atom_constant<caf::atom("t_shuttmo")>;

} // namespace troupe
