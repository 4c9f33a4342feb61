#pragma once
// A node agent's answer to (stats_atom): this process's counters for
// `troupe top --seed` (troupe/cluster_probe.hpp). Asked by anyone who
// passed the transport's handshake, like (members_atom): it tells no more
// than the membership table does (counts, no names, no payloads).

#include <string>

#include <caf/atom.hpp>

namespace troupe::detail {

///   (stats_atom) -> std::string   a JSON object of member_counters' fields
using stats_atom = caf::atom_constant<caf::atom("t_stats")>;

/// The JSON text of this process's counters (metrics::snapshot()).
std::string stats_json();

} // namespace troupe::detail
