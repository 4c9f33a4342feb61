#pragma once
// The actors of `troupe demo jobs`: workers that pull jobs from the durable
// work queue on every worker node, and the result sink that deduplicates
// (the queue delivers at least once).

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

namespace troupe::demo::jobs {

using result_atom = caf::atom_constant<caf::atom("jb_result")>;
using tally_atom = caf::atom_constant<caf::atom("jb_tally")>;

/// The work of one job: deterministic and a little CPU, so that the sink
/// can check every result and a worker is not just a mailbox relay.
uint64_t compute(const std::string& payload);

std::string payload_of(uint64_t id);

/// Pulls, computes, reports to `sink`, acknowledges; forever. Exported to
/// every node as "jobs-worker" (arguments: queue, sink).
caf::behavior worker(caf::event_based_actor* self, caf::actor queue,
                     caf::actor sink);

struct tally {
  uint64_t completed = 0;  ///< distinct jobs with a correct result
  uint64_t duplicates = 0; ///< results for a job already completed, dropped
  uint64_t wrong = 0;      ///< results that do not match compute()
  uint64_t redelivered = 0; ///< completed jobs delivered more than once
};

struct sink_state {
  std::vector<bool> done;
  tally counts;
};

/// Receives (result_atom, id, value, deliveries_before) for ids below
/// `jobs`; answers (tally_atom) with (completed, duplicates, wrong,
/// redelivered).
caf::behavior sink(caf::stateful_actor<sink_state>* self, uint64_t jobs);

} // namespace troupe::demo::jobs
