#pragma once
// The one-way workloads of the distributed benchmarks (troupe's and raw
// CAF's share this code; CAF only): a blaster that sends small asynchronous
// messages to a sink on another node as fast as it can, with one
// confirmation at the end.
//   dist_oneway        a count-bound blast at a sink that only counts;
//                      the confirmation is the sink's count
//   overload_peak_rss  a time-bound blast at a slow sink (busy for a fixed
//                      time per message, so the sender outruns it many
//                      times over); the confirmation is the sink's peak
//                      resident memory, asked for as an urgent message so
//                      that it overtakes the backlog in the sink's mailbox
//                      (it arrives after every message the blaster sent:
//                      one connection, in order)

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_priority.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

namespace bench::dist {

/// (oneway, seq): one message of a blast.
using oneway_atom = caf::atom_constant<caf::atom("bd_one")>;
/// (oneway_end) -> received: the sink's count since the last one.
using oneway_end_atom = caf::atom_constant<caf::atom("bd_oend")>;
/// (blast, count, duration_ns) -> flow_result: starts a blast. count > 0
/// makes it count-bound, otherwise it runs for duration_ns.
using blast_atom = caf::atom_constant<caf::atom("bd_blast")>;
/// The blaster to itself: the next chunk.
using more_atom = caf::atom_constant<caf::atom("bd_more")>;
/// (peak_rss) -> kilobytes: the sink's process's VmHWM; the sink stops
/// working per message (it only counts what is left in its mailbox).
using peak_rss_atom = caf::atom_constant<caf::atom("bd_hwm")>;

/// Messages a blaster sends before it yields.
constexpr uint64_t blast_chunk = 256;

/// The busy time per message of the overload figure's slow sink.
constexpr int64_t slow_sink_work_ns = 10'000;

/// Peak resident memory of this process (VmHWM in /proc/self/status), KB.
inline int64_t peak_rss_kb() {
  auto f = std::fopen("/proc/self/status", "r");
  if (!f)
    return 0;
  char line[256];
  long long kb = 0;
  while (std::fgets(line, sizeof(line), f))
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      std::sscanf(line + 6, "%lld", &kb);
      break;
    }
  std::fclose(f);
  return static_cast<int64_t>(kb);
}

/// What a blaster measured.
struct flow_result {
  uint64_t sent = 0;
  uint64_t received = 0;       ///< count-bound: the sink's count
  int64_t elapsed_ns = 0;      ///< first send to confirmation
  int64_t sender_rss_kb = 0;   ///< time-bound: the blaster's process's VmHWM
  int64_t receiver_rss_kb = 0; ///< time-bound: the sink's process's VmHWM
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flow_result& x) {
  return f(caf::meta::type_name("bench.dist.flow_result"), x.sent, x.received,
           x.elapsed_ns, x.sender_rss_kb, x.receiver_rss_kb);
}

struct sink_state {
  sink_state() = default; // not an aggregate: see pinger_state
  uint64_t received = 0;
  bool draining = false;
  static inline const char* name = "bench.dist.sink";
};

/// Counts one-way messages; busy for `work_ns` on each until asked for its
/// peak memory.
inline caf::behavior sink(caf::stateful_actor<sink_state>* self,
                          int64_t work_ns) {
  return {
      [self, work_ns](oneway_atom, uint64_t) {
        auto& st = self->state;
        ++st.received;
        if (work_ns <= 0 || st.draining)
          return;
        auto until = std::chrono::steady_clock::now()
                     + std::chrono::nanoseconds{work_ns};
        while (std::chrono::steady_clock::now() < until) {
          // The work: a fixed time per message, whatever the machine.
        }
      },
      [self](oneway_end_atom) {
        auto n = self->state.received;
        self->state.received = 0;
        return n;
      },
      [self](peak_rss_atom) {
        self->state.draining = true;
        return peak_rss_kb();
      },
  };
}

inline caf::behavior fast_sink(caf::stateful_actor<sink_state>* self) {
  return sink(self, 0);
}

inline caf::behavior slow_sink(caf::stateful_actor<sink_state>* self) {
  return sink(self, slow_sink_work_ns);
}

struct blaster_state {
  using clock = std::chrono::steady_clock;
  blaster_state() = default; // not an aggregate: see pinger_state
  caf::actor target;
  caf::response_promise done;
  bool running = false;
  uint64_t count = 0; ///< 0: time-bound
  clock::time_point start;
  clock::time_point deadline;
  flow_result res;
  static inline const char* name = "bench.dist.blaster";
};

/// A blaster aimed at `target` (which may be null until one of `extra`'s
/// handlers sets `self->state.target`). One blast at a time. It sends in
/// chunks and yields between them (a message to itself), so that it stays
/// an actor among others rather than a loop owning its thread.
template <class... Extra>
caf::behavior blaster(caf::stateful_actor<blaster_state>* self,
                      caf::actor target, Extra... extra) {
  using clock = blaster_state::clock;
  constexpr auto confirm_timeout = std::chrono::seconds(120);
  self->state.target = std::move(target);
  auto finish = [self] {
    auto& st = self->state;
    st.res.elapsed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            clock::now() - st.start)
                            .count();
    st.running = false;
    st.done.deliver(st.res);
  };
  return {
      [self](blast_atom, uint64_t count,
             int64_t duration_ns) -> caf::result<flow_result> {
        auto& st = self->state;
        if (st.running || !st.target || (count == 0 && duration_ns <= 0))
          return caf::sec::invalid_argument;
        st.running = true;
        st.count = count;
        st.res = flow_result{};
        st.start = clock::now();
        st.deadline = st.start + std::chrono::nanoseconds{duration_ns};
        st.done = self->make_response_promise();
        self->send(self, more_atom::value);
        return st.done;
      },
      [self, finish](more_atom) {
        auto& st = self->state;
        auto n = st.count > 0 ? std::min(blast_chunk, st.count - st.res.sent)
                              : blast_chunk;
        for (uint64_t i = 0; i < n; ++i)
          self->send(st.target, oneway_atom::value, st.res.sent++);
        bool more = st.count > 0 ? st.res.sent < st.count
                                 : clock::now() < st.deadline;
        if (more) {
          self->send(self, more_atom::value);
        } else if (st.count > 0) {
          self->request(st.target, confirm_timeout, oneway_end_atom::value)
              .then(
                  [self, finish](uint64_t received) {
                    self->state.res.received = received;
                    finish();
                  },
                  [self](caf::error& err) {
                    self->state.running = false;
                    self->state.done.deliver(err);
                  });
        } else {
          st.res.sender_rss_kb = peak_rss_kb();
          self->request<caf::message_priority::high>(st.target, confirm_timeout,
                                                     peak_rss_atom::value)
              .then(
                  [self, finish](int64_t kb) {
                    self->state.res.sender_rss_kb = std::max(
                        self->state.res.sender_rss_kb, peak_rss_kb());
                    self->state.res.receiver_rss_kb = kb;
                    finish();
                  },
                  [self](caf::error& err) {
                    self->state.running = false;
                    self->state.done.deliver(err);
                  });
        }
      },
      std::move(extra)...,
  };
}

} // namespace bench::dist
