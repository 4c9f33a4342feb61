#pragma once
// The node agents' peer-to-peer protocol: what one node's agent sends to
// another's (and the few messages node.cpp and the agent send themselves).
// Internal: it may change with every release, unlike the local interface in
// troupe/cluster_agent.hpp.
//
//   (join_atom, member_info joiner, uint64_t type_set_id
//    [, std::vector<std::string> type_names])
//     -> std::vector<member_info>            the seed's view, or an error
//                                            (type_set_mismatch names the
//                                            types that differ, see
//                                            type_set_check.cpp)
//   (gossip_atom, std::vector<member_info> changes)  [answered: leave waits]
//   (heartbeat_atom, member_info sender)     the sender's load and liveness
//   (registry_atom, string owner, string name, actor handle)
//                                            handle null: withdrawn
//   (group_sync_atom, string owner, string group, actor handle, bool joined)
//   (probe_atom, string target) -> bool     ping member `target` for the
//                                            sender (an indirect probe of a
//                                            suspect): true if it answered
//   (ping_atom) -> void                      a probe: answered at once
//   (leave_atom) -> void                     local: announce `leaving`
//   (bound_atom, uint16_t port)              local: the published port
//   (stop_spawned_atom, timespan grace) -> void  local: stop hosted actors
//   (tick_atom), (stop_spawned_atom), (wake_atom)  the agent's own timers
//   (disarm_atom)                            agent -> its watchdog: a
//                                            deliberate stop follows
//
// Who may send what (agent_auth.cpp): join and members from anyone; gossip,
// heartbeat, registry and group updates, probes and pings only from a
// member's agent (owner and speaker taken from the sender's node, never
// from the message);
// spawn, whereis and group_members from members and local actors; every
// other request only from this process.

#include <caf/atom.hpp>

#include "troupe/cluster_agent.hpp"

namespace troupe::detail {

using join_atom = caf::atom_constant<caf::atom("t_join")>;
using gossip_atom = caf::atom_constant<caf::atom("t_gossip")>;
using heartbeat_atom = caf::atom_constant<caf::atom("t_hbeat")>;
using leave_atom = caf::atom_constant<caf::atom("t_leave")>;
using tick_atom = caf::atom_constant<caf::atom("t_tick")>;
using bound_atom = caf::atom_constant<caf::atom("t_bound")>;
using registry_atom = caf::atom_constant<caf::atom("t_regsync")>;
using group_sync_atom = caf::atom_constant<caf::atom("t_gsync")>;
using stop_spawned_atom = caf::atom_constant<caf::atom("t_stopsp")>;
using wake_atom = caf::atom_constant<caf::atom("t_wake")>;
using disarm_atom = caf::atom_constant<caf::atom("t_disarm")>;
using probe_atom = caf::atom_constant<caf::atom("t_probe")>;
using ping_atom = caf::atom_constant<caf::atom("t_ping")>;
/// Key of the node agent in CAF's actor registry (node::start puts it
/// there; troupe::local_agent reads it).
using node_agent_atom = caf::atom_constant<caf::atom("t_agent")>;

} // namespace troupe::detail
