#include "demos/wordcount_job.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

#include <troupe/troupe.hpp>

#include "demos/wordcount_actors.hpp"

namespace troupe::demos::wordcount {
namespace {

/// Bound on one map or resend request (it includes the mapper's own wait
/// for the reducer, see wordcount_actors.cpp).
constexpr auto request_timeout = std::chrono::seconds(60);
/// A chunk that fails this often fails the job (something is broken, not
/// just restarting).
constexpr uint32_t max_failures = 10;

enum class phase : uint8_t { queued, in_flight, reduced };

struct chunk_info {
  phase ph = phase::queued;
  size_t owner = 0; ///< the mapper that holds its partial count
  uint32_t failures = 0;
};

struct job_state {
  job_spec spec;
  std::vector<chunk_info> chunks;
  std::deque<uint32_t> to_map;
  std::vector<std::deque<uint32_t>> to_resend; ///< per owning mapper
  std::vector<uint32_t> in_flight;             ///< per mapper
  uint64_t incarnation = 0; ///< the newest the job has heard of
  uint32_t reduced = 0;     ///< chunks taken by that incarnation
  std::vector<uint32_t> crash_at;
  uint64_t crashed_incarnation = 0; ///< the last one a crash was sent to
  uint32_t table_failures = 0;
  bool reading_table = false;
  bool finished = false;
  caf::actor reporter;
};

using job_actor = caf::stateful_actor<job_state>;

void pump(job_actor* self);

void finish(job_actor* self, table t) {
  auto& st = self->state;
  st.finished = true;
  self->send(st.reporter, done_atom::value, std::move(t));
}

void fail(job_actor* self, caf::error err) {
  auto& st = self->state;
  st.finished = true;
  self->send(st.reporter, done_atom::value, std::move(err));
}

/// Puts a reduced chunk back in line: its mapper sends the partial again.
void queue_resend(job_actor* self, uint32_t c) {
  auto& st = self->state;
  st.chunks[c].ph = phase::queued;
  st.to_resend[st.chunks[c].owner].push_back(c);
  ++st.spec.progress->resent;
}

/// A newer reducer incarnation started empty: everything the older ones
/// took must be sent again.
void new_incarnation(job_actor* self, uint64_t incarnation) {
  auto& st = self->state;
  st.incarnation = incarnation;
  if (!st.spec.resend) {
    st.spec.progress->incarnation = incarnation;
    return;
  }
  st.reduced = 0;
  st.spec.progress->incarnation = incarnation;
  st.spec.progress->reduced = 0;
  for (uint32_t c = 0; c < st.chunks.size(); ++c)
    if (st.chunks[c].ph == phase::reduced)
      queue_resend(self, c);
}

void maybe_crash(job_actor* self) {
  auto& st = self->state;
  auto& prog = *st.spec.progress;
  auto k = prog.crashes.load();
  // One crash per incarnation: the next one only after the reducer came
  // back, so that the crashes are spread over the run.
  if (k < st.crash_at.size() && st.reduced >= st.crash_at[k]
      && st.incarnation > st.crashed_incarnation) {
    st.crashed_incarnation = st.incarnation;
    ++prog.crashes;
    self->send(st.spec.reducer, crash_atom::value);
  }
}

void on_reduced(job_actor* self, uint32_t c, uint64_t incarnation) {
  auto& st = self->state;
  if (incarnation > st.incarnation)
    new_incarnation(self, incarnation);
  if (incarnation < st.incarnation && st.spec.resend) {
    // Taken by an incarnation that has died since.
    queue_resend(self, c);
    return;
  }
  st.chunks[c].ph = phase::reduced;
  ++st.reduced;
  ++st.spec.progress->reduced;
  maybe_crash(self);
}

void on_failure(job_actor* self, uint32_t c, const caf::error& err) {
  auto& st = self->state;
  if (++st.chunks[c].failures > max_failures) {
    fail(self, make_error(errc::timeout,
                          "chunk " + std::to_string(c) + " failed "
                            + std::to_string(max_failures)
                            + " times, last: " + render(err)));
    return;
  }
  ++st.spec.progress->retries;
  // Map it again: whatever happened to the mapper's request, counting the
  // text again is always safe (the reducer takes a chunk at most once).
  st.chunks[c].ph = phase::queued;
  st.to_map.push_back(c);
}

void dispatch(job_actor* self, size_t m, uint32_t c, bool resend) {
  auto& st = self->state;
  st.chunks[c].ph = phase::in_flight;
  ++st.in_flight[m];
  auto on_answer = [self, m, c](uint64_t incarnation) {
    auto& st = self->state;
    --st.in_flight[m];
    if (st.finished)
      return;
    st.chunks[c].owner = m;
    on_reduced(self, c, incarnation);
    pump(self);
  };
  auto on_error = [self, m, c](caf::error& err) {
    auto& st = self->state;
    --st.in_flight[m];
    if (st.finished)
      return;
    on_failure(self, c, err);
    pump(self);
  };
  auto& mapper = st.spec.mappers[m];
  if (resend) {
    self->request(mapper, request_timeout, resend_atom::value, c)
      .then(on_answer, on_error);
  } else {
    ++st.spec.progress->maps;
    st.spec.progress->bytes_mapped += (*st.spec.chunks)[c].size();
    self
      ->request(mapper, request_timeout, map_atom::value, c,
                (*st.spec.chunks)[c])
      .then(on_answer, on_error);
  }
}

void read_table(job_actor* self) {
  auto& st = self->state;
  st.reading_table = true;
  self->request(st.spec.reducer, request_timeout, table_atom::value)
    .then(
      [self](table& t) {
        auto& st = self->state;
        st.reading_table = false;
        if (st.finished)
          return;
        auto n = static_cast<uint32_t>(st.chunks.size());
        if ((t.incarnation == st.incarnation && t.chunks == n)
            || !st.spec.resend) {
          finish(self, std::move(t));
        } else if (t.incarnation > st.incarnation) {
          // The reducer restarted after its last answer.
          new_incarnation(self, t.incarnation);
          pump(self);
        } else {
          fail(self, make_error(errc::malformed_message,
                                "the reducer's table (incarnation "
                                  + std::to_string(t.incarnation) + ", "
                                  + std::to_string(t.chunks)
                                  + " chunks) disagrees with the job "
                                    "(incarnation "
                                  + std::to_string(st.incarnation) + ", "
                                  + std::to_string(n) + " chunks)"));
        }
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.reading_table = false;
        if (st.finished)
          return;
        if (++st.table_failures > max_failures)
          fail(self, std::move(err));
        else
          read_table(self);
      });
}

void pump(job_actor* self) {
  auto& st = self->state;
  if (st.finished)
    return;
  for (size_t m = 0; m < st.spec.mappers.size(); ++m) {
    while (st.in_flight[m] < st.spec.window) {
      if (!st.to_resend[m].empty()) {
        auto c = st.to_resend[m].front();
        st.to_resend[m].pop_front();
        dispatch(self, m, c, true);
      } else if (!st.to_map.empty()) {
        auto c = st.to_map.front();
        st.to_map.pop_front();
        dispatch(self, m, c, false);
      } else {
        break;
      }
    }
  }
  if (st.reduced == st.chunks.size() && !st.reading_table)
    read_table(self);
}

caf::behavior job(job_actor* self, job_spec spec) {
  auto& st = self->state;
  auto n = static_cast<uint32_t>(spec.chunks->size());
  st.chunks.resize(n);
  for (uint32_t c = 0; c < n; ++c)
    st.to_map.push_back(c);
  st.to_resend.resize(spec.mappers.size());
  st.in_flight.resize(spec.mappers.size(), 0);
  // Crash k when the current incarnation holds k/(crashes+1) of the chunks;
  // never at the very end, where a crash would only test the final read.
  auto crashes = std::min<uint32_t>(spec.crashes, n > 1 ? n - 1 : 0);
  for (uint32_t k = 1; k <= crashes; ++k)
    st.crash_at.push_back(std::max<uint32_t>(
      1, static_cast<uint32_t>(uint64_t{n} * k / (crashes + 1))));
  st.spec = std::move(spec);
  return {
    [self](run_atom, caf::actor& reporter) {
      auto& st = self->state;
      st.reporter = std::move(reporter);
      if (st.spec.mappers.empty()) {
        fail(self, make_error(errc::no_members, "the job has no mappers"));
        return;
      }
      pump(self);
    },
  };
}

} // namespace

caf::actor spawn_job(caf::actor_system& sys, job_spec spec) {
  return sys.spawn(job, std::move(spec));
}

} // namespace troupe::demos::wordcount
