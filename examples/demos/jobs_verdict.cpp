#include "jobs_verdict.hpp"

#include <algorithm>
#include <cstdio>

namespace troupe::demo::jobs {

bool check(const figures& f, int require_kills) {
  bool ok = true;
  auto fail = [&ok](const std::string& what) {
    std::printf("check failed: %s\n", what.c_str());
    ok = false;
  };
  if (f.distinct != f.jobs)
    fail(std::to_string(f.jobs - std::min(f.distinct, f.jobs))
         + " jobs never completed");
  // Recounted from the sink's record of done ids: a sink that counted a
  // duplicate result as a completion would report more than that.
  if (f.completed != f.distinct)
    fail("the sink counted " + std::to_string(f.completed)
         + " completions of " + std::to_string(f.distinct)
         + " distinct jobs (duplicates counted as completions)");
  if (f.completed + f.duplicates + f.wrong != f.received)
    fail(std::to_string(f.received) + " results arrived, but "
         + std::to_string(f.completed + f.duplicates + f.wrong)
         + " were counted");
  if (f.wrong > 0)
    fail(std::to_string(f.wrong) + " wrong results");
  if (f.enqueue_failed > 0)
    fail(std::to_string(f.enqueue_failed) + " enqueues failed");
  if (f.kills < require_kills)
    fail("only " + std::to_string(f.kills) + " node kills happened, "
         + std::to_string(require_kills)
         + " required: the run was too short to show recovery");
  return ok;
}

void report(const figures& f, int require_kills, int nodes, bool ok) {
  std::string batches;
  if (f.batches > 1)
    batches = " (" + std::to_string(f.batches) + " batches, until "
              + std::to_string(require_kills) + " node kills)";
  std::printf("summary: %llu jobs%s in %.1f s (%.0f jobs/s) on %d worker "
              "nodes; %llu completed exactly once (%llu of them redelivered "
              "after their worker died), %llu lost, %llu duplicate results "
              "dropped by the sink, %llu wrong results; %d node kills, %d "
              "worker restarts; workers per node: %s; queue left: %zu ready, "
              "%zu leased, %zu dead letters: %s\n",
              static_cast<unsigned long long>(f.jobs), batches.c_str(),
              f.elapsed_s, static_cast<double>(f.completed) / f.elapsed_s,
              nodes, static_cast<unsigned long long>(f.distinct),
              static_cast<unsigned long long>(f.redelivered),
              static_cast<unsigned long long>(f.jobs
                                              - std::min(f.distinct, f.jobs)),
              static_cast<unsigned long long>(f.duplicates),
              static_cast<unsigned long long>(f.wrong), f.kills, f.restarts,
              f.per_node.c_str(), f.ready, f.leased, f.dead,
              ok ? "OK, no job lost"
                 : "FAILED (see the node logs and the numbers above)");
  std::fflush(stdout);
}

} // namespace troupe::demo::jobs
