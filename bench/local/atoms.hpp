#pragma once
// The atoms of the local benchmarks' small protocols (same in both peers).

#include <caf/atom.hpp>

namespace bench {

using ping_atom = caf::atom_constant<caf::atom("b_ping")>;
using pong_atom = caf::atom_constant<caf::atom("b_pong")>;
using go_atom = caf::atom_constant<caf::atom("b_go")>;
using done_atom = caf::atom_constant<caf::atom("b_done")>;
using token_atom = caf::atom_constant<caf::atom("b_token")>;
using next_atom = caf::atom_constant<caf::atom("b_next")>;
using incr_atom = caf::atom_constant<caf::atom("b_incr")>;
using peers_atom = caf::atom_constant<caf::atom("b_peers")>;
using crash_atom = caf::atom_constant<caf::atom("b_crash")>;
using stop_atom = caf::atom_constant<caf::atom("b_stop")>;

} // namespace bench
