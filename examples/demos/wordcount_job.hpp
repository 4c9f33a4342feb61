#pragma once
// The job of `troupe demo wordcount`: an actor in the demo's process that
// hands out chunks to the mappers (a few in flight per mapper), follows the
// reducer's incarnations, and makes sure that at the end one incarnation
// holds every chunk exactly once.
//
// Why nothing is lost when the reducer restarts: every answer from the
// reducer carries its incarnation number. When a higher number appears, the
// chunks the previous incarnations had taken are gone with them, so the job
// asks their mappers to send those partial counts again; an answer from an
// older incarnation means the same for that chunk. The job is done when the
// reducer's table, read at the end, is from the incarnation that took every
// chunk (if it restarted in between, the job re-sends and reads again).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace troupe::demos::wordcount {

/// demo -> job: (run, reporter). The job sends (done, table) or
/// (done, error) to the reporter when it ends.
using run_atom = caf::atom_constant<caf::atom("wc_run")>;
using done_atom = caf::atom_constant<caf::atom("wc_done")>;

/// Live figures for the progress line (written by the job, read by the demo).
struct job_progress {
  std::atomic<uint32_t> reduced{0};  ///< chunks in the current incarnation
  std::atomic<uint32_t> maps{0};     ///< map requests sent (remaps too)
  std::atomic<uint64_t> bytes_mapped{0}; ///< of text, same
  std::atomic<uint32_t> resent{0};   ///< partials sent again after a restart
  std::atomic<uint32_t> retries{0};  ///< failed requests tried again
  std::atomic<uint32_t> crashes{0};  ///< crashes injected into the reducer
  std::atomic<uint64_t> incarnation{0}; ///< latest reducer incarnation seen
};

struct job_spec {
  std::shared_ptr<const std::vector<std::string>> chunks;
  std::vector<caf::actor> mappers;
  caf::actor reducer; ///< the reducer's stable name
  uint32_t window = 2; ///< chunks in flight per mapper
  /// Reducer crashes to inject, spread over the run: crash k (1-based) when
  /// the current incarnation has taken k/(crashes+1) of the chunks.
  uint32_t crashes = 0;
  /// False shows what re-sending prevents: the job ignores the reducer's
  /// restarts, takes whatever the last incarnation holds, and the counts of
  /// the dead incarnations are lost (the demo's check then fails).
  bool resend = true;
  std::shared_ptr<job_progress> progress;
};

caf::actor spawn_job(caf::actor_system& sys, job_spec spec);

} // namespace troupe::demos::wordcount
