#pragma once
// Counting (Savina): one producer sends N increments to one counter as fast
// as it can; the figure is the time per message until the counter has seen
// all of them. A counter is also the sink of the contention benchmark.

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"

namespace bench {

struct counter_state {
  int64_t count = 0;
};

/// Counts increments and tells `reply_to` when it reached `target`.
inline caf::behavior counter_actor(caf::stateful_actor<counter_state>* self,
                                   int64_t target, caf::actor reply_to) {
  return {
    [self, target, reply_to](incr_atom) {
      if (++self->state.count == target)
        self->send(reply_to, done_atom::value);
    },
  };
}

/// Sends `n` increments to `counter` when told to go, then ends.
inline caf::behavior producer_actor(caf::event_based_actor* self,
                                    caf::actor counter, int64_t n) {
  return {
    [self, counter, n](go_atom) {
      for (int64_t i = 0; i < n; ++i)
        self->send(counter, incr_atom::value);
      self->quit();
    },
  };
}

/// Nanoseconds per increment.
template <class Env>
double counting_ns(options& opts, int64_t n) {
  Env env{opts};
  caf::scoped_actor self{env.sys()};
  auto counter = env.service(counter_actor, n, caf::actor_cast<caf::actor>(self));
  auto producer = env.spawn(producer_actor, counter, n);
  auto start = clock_type::now();
  self->send(producer, go_atom::value);
  await(self, "counting", [](done_atom) {});
  return elapsed_ns(start) / static_cast<double>(n);
}

} // namespace bench
