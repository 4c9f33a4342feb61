#pragma once
// The actor and message types of bench_dist_troupe, registered by every
// process of a benchmark cluster: the worker nodes (this program in node
// mode) and the benchmark process, which joins as a client member. One
// function, so that all of them share one type set (checked at join).
//
// Exported for remote spawn:
//   bench-ponger   answers pings (ping_actors.hpp)
//   bench-pinger   a pinger; (connect, NODE) has it spawn its own ponger on
//                  member NODE through that node's agent, so that the handle
//                  comes straight from NODE and no third process relays
//   bench-blaster  sends one-way messages (flow_actors.hpp); (connect, NODE,
//                  SINK) has it spawn its own sink of type SINK on NODE
//   bench-sink     counts one-way messages
//   bench-slow-sink  the same, busy 10 us on each (overload_peak_rss)
//   bench-echo     answers one echo, then stops
//   bench-named    registers itself in the cluster registry under its
//                  argument, answers echoes
//   bench-watcher  (own node name, victim): subscribes to its node's member
//                  events; (connect, reporter) is answered once the node
//                  sees the victim up, and the reporter then gets (seen,
//                  ...) when the node sees the victim down or leaving

#include <caf/atom.hpp>

#include <troupe/config.hpp>

namespace bench::dist {

using connect_atom = caf::atom_constant<caf::atom("bd_conn")>;
/// To a watcher's reporter: (seen, node, kind, steady_ns) when the node sees
/// the victim go (kind is troupe::member_event::kind_t; steady_ns is
/// std::chrono::steady_clock's time on that node, which on Linux is
/// CLOCK_MONOTONIC, one clock for every process of the machine).
using seen_atom = caf::atom_constant<caf::atom("bd_seen")>;

void register_types(troupe::config& cfg);

} // namespace bench::dist
