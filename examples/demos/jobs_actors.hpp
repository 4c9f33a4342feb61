#pragma once
// The actors of `troupe demo jobs`: the producer that enqueues the jobs,
// workers that pull them from the durable work queue on every worker node,
// and the result sink that deduplicates (the queue delivers at least once).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

namespace troupe::demo::jobs {

using result_atom = caf::atom_constant<caf::atom("jb_result")>;
using tally_atom = caf::atom_constant<caf::atom("jb_tally")>;
using more_atom = caf::atom_constant<caf::atom("jb_more")>;
using recount_atom = caf::atom_constant<caf::atom("jb_recount")>;

/// The work of one job: deterministic and a little CPU, so that the sink
/// can check every result and a worker is not just a mailbox relay.
uint64_t compute(const std::string& payload);

std::string payload_of(uint64_t id);

/// Pulls, computes, reports to `sink`, acknowledges; forever. Exported to
/// every node as "jobs-worker" (arguments: queue, sink).
caf::behavior worker(caf::event_based_actor* self, caf::actor queue,
                     caf::actor sink);

struct producer_state {
  uint64_t next = 0;
  uint64_t jobs = 0;
  uint64_t window = 0;
  uint64_t accepted = 0;
  uint64_t failed = 0;
};

/// Enqueues jobs 0..jobs-1 into `queue` with `window` requests in flight
/// (one at a time would be bound by the round trip; unbounded would flood
/// the queue's mailbox). (more_atom, n): n jobs more, numbered on. Answers
/// (tally_atom) with (accepted, failed).
caf::behavior producer(caf::stateful_actor<producer_state>* self,
                       caf::actor queue, uint64_t jobs, uint64_t window);

struct tally {
  uint64_t completed = 0;  ///< distinct jobs with a correct result
  uint64_t duplicates = 0; ///< results for a job already completed, dropped
  uint64_t wrong = 0;      ///< results that do not match compute()
  uint64_t redelivered = 0; ///< completed jobs delivered more than once
};

struct sink_state {
  std::vector<bool> done;
  std::vector<bool> wanted; ///< empty: every id below done.size()
  tally counts;
  uint64_t received = 0; ///< results of any kind
};

/// Receives (result_atom, id, value, deliveries_before) for ids below
/// `jobs`; answers (tally_atom) with (completed, duplicates, wrong,
/// redelivered); (more_atom, n) accepts n ids more; (recount_atom) answers
/// (distinct jobs done, results received), counted again from the record
/// of done ids, so the demo's check does not rest on `completed` alone.
caf::behavior sink(caf::stateful_actor<sink_state>* self, uint64_t jobs);

/// A sink as above for the jobs `ids` only (a resumed run: the jobs an
/// earlier run left in the queue's log); a result for another id is wrong.
caf::behavior sink_for(caf::stateful_actor<sink_state>* self,
                       std::vector<uint64_t> ids);

} // namespace troupe::demo::jobs
