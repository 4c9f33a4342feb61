#pragma once
// The workload both distributed benchmarks run, troupe's and raw CAF's: a
// ponger that answers every ping, a pinger that runs one series of round
// trips against it and answers the request that started the series with
// what it measured, and a one-shot echo actor for the remote-spawn figure.
// CAF only, so that bench_dist_caf shares the very same code without
// linking troupe.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

namespace bench::dist {

using ping_atom = caf::atom_constant<caf::atom("bd_ping")>;
using pong_atom = caf::atom_constant<caf::atom("bd_pong")>;
/// Starts a series: (run, warmup, rounds, window, duration_ns). `rounds` > 0
/// makes it count-bound, otherwise it runs for `duration_ns` after warm-up.
using run_atom = caf::atom_constant<caf::atom("bd_run")>;
/// (echo, x) -> x.
using echo_atom = caf::atom_constant<caf::atom("bd_echo")>;

/// What a pinger measured in one series.
struct series_result {
  uint64_t rounds = 0;    ///< measured round trips (warm-up excluded)
  int64_t elapsed_ns = 0; ///< wall time of the measured round trips
  /// One sample per measured round trip, only with one ping in flight
  /// (with more, a latency includes queueing behind the others).
  std::vector<int64_t> latencies_ns;
  /// Pongs that were not the next one expected: lost, duplicated or
  /// reordered messages. Zero in a correct run.
  uint64_t out_of_order = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_result& x) {
  return f(caf::meta::type_name("bench.dist.series_result"), x.rounds,
           x.elapsed_ns, x.latencies_ns, x.out_of_order);
}

/// Answers (ping, seq) with (pong, seq) to the sender.
inline caf::behavior ponger(caf::event_based_actor*) {
  return {
      [](ping_atom, uint64_t seq) {
        return std::make_tuple(pong_atom::value, seq);
      },
  };
}

/// Answers one (echo, x) with x, then stops: a remotely spawned actor that
/// cleans up after itself, so a thousand spawns leave nothing behind.
inline caf::behavior echo_once(caf::event_based_actor* self) {
  return {
      [self](echo_atom, int64_t x) {
        self->quit();
        return x;
      },
  };
}

struct pinger_state {
  using clock = std::chrono::steady_clock;

  // A constructor of its own, so that this is no aggregate: CAF 0.17 builds
  // an actor's state as State(self) whenever that compiles, and in C++20 an
  // aggregate's first member would then be initialized from `self` (here
  // `target` would be the pinger itself).
  pinger_state() = default;

  caf::actor target;
  caf::response_promise done;
  bool running = false;
  bool stopping = false; ///< the measured part is over; draining pongs
  uint64_t warmup = 0;
  uint64_t rounds = 0; ///< 0: time-bound
  clock::duration duration{};
  uint32_t window = 1;
  uint64_t sent = 0;
  uint64_t received = 0;
  std::vector<clock::time_point> sent_at; ///< indexed by seq % window
  clock::time_point start;
  series_result res;

  static inline const char* name = "bench.dist.pinger";

  void send_ping(caf::event_based_actor* self, clock::time_point now) {
    sent_at[sent % window] = now;
    self->send(target, ping_atom::value, sent);
    ++sent;
  }

  /// Whether another ping goes out after a pong (count-bound series stop
  /// sending once every ping of the series is out).
  bool may_send() const {
    return !stopping && (rounds == 0 || sent < warmup + rounds);
  }
};

/// A pinger aimed at `target` (which may be null until one of `extra`'s
/// handlers sets `self->state.target`). One series at a time.
template <class... Extra>
caf::behavior pinger(caf::stateful_actor<pinger_state>* self, caf::actor target,
                     Extra... extra) {
  using clock = pinger_state::clock;
  self->state.target = std::move(target);
  return {
      [self](run_atom, uint32_t warmup, uint32_t rounds, uint32_t window,
             int64_t duration_ns) -> caf::result<series_result> {
        auto& st = self->state;
        if (st.running || !st.target || window == 0
            || (rounds == 0 && duration_ns <= 0))
          return caf::sec::invalid_argument;
        st.running = true;
        st.stopping = false;
        st.warmup = warmup;
        st.rounds = rounds;
        st.duration = std::chrono::nanoseconds{duration_ns};
        st.window = window;
        st.sent = 0;
        st.received = 0;
        st.sent_at.assign(window, clock::time_point{});
        st.res = series_result{};
        if (window == 1 && rounds > 0)
          st.res.latencies_ns.reserve(rounds);
        st.done = self->make_response_promise();
        auto now = clock::now();
        st.start = now;
        uint64_t first = window;
        if (rounds > 0)
          first = std::min<uint64_t>(first, uint64_t{warmup} + rounds);
        for (uint64_t i = 0; i < first; ++i)
          st.send_ping(self, now);
        return st.done;
      },
      [self](pong_atom, uint64_t seq) {
        auto& st = self->state;
        if (!st.running)
          return;
        auto now = clock::now();
        // CAF delivers one sender's messages to one receiver in order, also
        // across nodes: any other sequence number is a bug.
        if (seq != st.received)
          ++st.res.out_of_order;
        if (st.received >= st.warmup && st.window == 1 && !st.stopping)
          st.res.latencies_ns.push_back(
              std::chrono::duration_cast<std::chrono::nanoseconds>(
                  now - st.sent_at[seq % st.window])
                  .count());
        if (++st.received == st.warmup)
          st.start = now; // the measured part begins
        if (!st.stopping && st.received > st.warmup) {
          bool over = st.rounds > 0 ? st.received == st.warmup + st.rounds
                                    : now - st.start >= st.duration;
          if (over) {
            st.stopping = true;
            st.res.rounds = st.received - st.warmup;
            st.res.elapsed_ns
                = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      now - st.start)
                      .count();
          }
        }
        if (st.may_send())
          st.send_ping(self, now);
        if (st.stopping && st.received == st.sent) {
          st.running = false;
          st.done.deliver(std::move(st.res));
        }
      },
      std::move(extra)...,
  };
}

} // namespace bench::dist
