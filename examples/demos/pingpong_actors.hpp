#pragma once
// The actors of `troupe demo pingpong`: a ponger that answers every ping and
// a pinger that runs a measured series of round trips against a ponger
// (local or on another node) and reports the latencies to a reporter.
//
// Both are exported actor types ("pp-ponger", "pp-pinger") of every process
// of the tool, so the demo can place them on any worker node with
// node::spawn_on and also spawn them in its own process.

#include <cstdint>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe::demos::pingpong {

using ping_atom = caf::atom_constant<caf::atom("pp_ping")>;
using pong_atom = caf::atom_constant<caf::atom("pp_pong")>;
/// Starts a series: (run, target, warmup, rounds, window, reporter).
using run_atom = caf::atom_constant<caf::atom("pp_run")>;
/// To the reporter while a series runs: (progress, measured round trips).
using progress_atom = caf::atom_constant<caf::atom("pp_prog")>;
/// To the reporter at the end of a series: (done, result).
using done_atom = caf::atom_constant<caf::atom("pp_done")>;
/// Request to a pinger or ponger: it answers, then stops. The answer proves
/// that the stop arrived (an exit message sent just before this process
/// leaves the cluster may be dropped with the connection).
using stop_atom = caf::atom_constant<caf::atom("pp_stop")>;

/// What a pinger measured in one series.
struct result {
  uint32_t rounds = 0; ///< measured round trips (warm-up excluded)
  uint32_t window = 0; ///< pings in flight at a time
  int64_t elapsed_ns = 0; ///< wall time of the measured round trips
  /// One sample per measured round trip, only when window == 1 (with more
  /// pings in flight a latency includes queueing behind the others).
  std::vector<int64_t> latencies_ns;
  /// Pongs whose sequence number was not the next one expected: lost,
  /// duplicated or reordered messages. Zero in a correct run.
  uint64_t out_of_order = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, result& x) {
  return f(caf::meta::type_name("demo.pp.result"), x.rounds, x.window,
           x.elapsed_ns, x.latencies_ns, x.out_of_order);
}

/// Answers (ping, seq) with (pong, seq) to the sender.
caf::behavior ponger(caf::event_based_actor* self);

/// Spawns a pinger in `sys` (the demo's own process). It runs one series at
/// a time; a second run request while busy is refused.
caf::actor spawn_pinger(caf::actor_system& sys);

} // namespace troupe::demos::pingpong
