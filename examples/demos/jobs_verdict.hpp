#pragma once
// The verdict of `troupe demo jobs`: the figures a run collects from the
// sink, the producer and the queue, the check that every job completed
// exactly once, and the summary line.

#include <cstddef>
#include <cstdint>
#include <string>

namespace troupe::demo::jobs {

/// The figures of a run, as the sink, the producer and the queue report
/// them.
struct figures {
  uint64_t jobs = 0; ///< enqueued in all batches
  int batches = 1;
  uint64_t completed = 0, duplicates = 0, wrong = 0, redelivered = 0;
  uint64_t accepted = 0, enqueue_failed = 0;
  uint64_t distinct = 0, received = 0; ///< recounted by the sink at the end
  int kills = 0;
  int restarts = 0;
  std::string per_node; ///< where the workers run at the end
  size_t ready = 0, leased = 0, dead = 0;
  double elapsed_s = 0;
};

/// Every job completed exactly once, and at least `require_kills` node
/// kills happened: each failed condition is printed; false if any failed.
bool check(const figures& f, int require_kills);

/// Prints the summary line of a run on `nodes` worker nodes.
void report(const figures& f, int require_kills, int nodes, bool ok);

} // namespace troupe::demo::jobs
