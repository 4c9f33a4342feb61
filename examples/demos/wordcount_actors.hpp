#pragma once
// The actors of `troupe demo wordcount` and their messages.
//
// A mapper ("wc-mapper", exported by every process, placed on the worker
// nodes) counts the words of a chunk, keeps that partial count as its map
// output (as MapReduce keeps map outputs on the mapper's disk) and sends it
// to the reducer. The reducer adds partial counts, at most once per chunk,
// and answers with its incarnation number. It runs under a supervisor: when
// it crashes, its state is gone, the new incarnation starts empty, and the
// job (wordcount_job.hpp) sees the new number in the next answer and asks the
// mappers to send again every partial count the dead incarnation had.
//
//   job --(map, chunk, text)--> mapper --(reduce, partial)--> reducer
//   job <------------(incarnation)---- mapper <--(incarnation)-'
//   job --(resend, chunk)--> mapper: its stored partial, to the reducer again

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include <troupe/child_spec.hpp>

namespace troupe::demos::wordcount {

/// job -> mapper: (map, chunk, text) -> reducer incarnation that took it.
using map_atom = caf::atom_constant<caf::atom("wc_map")>;
/// job -> mapper: (resend, chunk) -> reducer incarnation that took it.
using resend_atom = caf::atom_constant<caf::atom("wc_resend")>;
/// job -> mapper: (stats) -> (chunks mapped, words mapped).
using stats_atom = caf::atom_constant<caf::atom("wc_stats")>;
/// mapper -> reducer: (reduce, partial) -> incarnation.
using reduce_atom = caf::atom_constant<caf::atom("wc_reduce")>;
/// -> reducer: (table) -> table, everything reduced so far.
using table_atom = caf::atom_constant<caf::atom("wc_table")>;
/// -> reducer: it throws (the demo's fault injection).
using crash_atom = caf::atom_constant<caf::atom("wc_crash")>;
/// Request to a mapper: it answers, then stops. The answer proves that the
/// stop arrived (an exit message sent just before this process leaves the
/// cluster may be dropped with the connection).
using stop_atom = caf::atom_constant<caf::atom("wc_stop")>;

/// A mapper's count of one chunk (parallel vectors: compact on the wire).
struct partial {
  uint32_t chunk = 0;
  std::vector<std::string> words;
  std::vector<uint64_t> counts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partial& x) {
  return f(caf::meta::type_name("demo.wc.partial"), x.chunk, x.words,
           x.counts);
}

/// The reducer's state as the job reads it at the end.
struct table {
  uint64_t incarnation = 0;
  uint32_t chunks = 0;     ///< distinct chunks added
  uint64_t duplicates = 0; ///< partials that came twice (ignored)
  std::vector<std::string> words;
  std::vector<uint64_t> counts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, table& x) {
  return f(caf::meta::type_name("demo.wc.table"), x.incarnation, x.chunks,
           x.duplicates, x.words, x.counts);
}

/// Numbers the reducer's incarnations (1, 2, ...) across restarts; shared
/// by the supervisor's child factory and the demo.
using incarnation_counter = std::shared_ptr<std::atomic<uint64_t>>;

/// The reducer as a supervisor's child: every start is a new incarnation
/// with an empty table and the next number from `counter`.
troupe::child_spec reducer_child(std::string id, incarnation_counter counter);

} // namespace troupe::demos::wordcount
