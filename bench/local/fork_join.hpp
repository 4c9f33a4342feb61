#pragma once
// Fork-join creation (Savina's fjcreate): spawn an actor, send it one
// message, it reports to a join point and ends. The figure is the time per
// actor, creation to exit, with the spawning loop on the driver thread as
// a user's code would do it.

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"
#include "local/countdown.hpp"

namespace bench {

inline caf::behavior fork_worker(caf::event_based_actor* self, caf::actor join) {
  return {
    [self, join](go_atom) {
      self->send(join, done_atom::value);
      self->quit();
    },
  };
}

/// Nanoseconds per actor.
template <class Env>
double fork_join_ns(options& opts, int64_t n) {
  Env env{opts};
  caf::scoped_actor self{env.sys()};
  auto join = env.spawn(countdown_actor, n, caf::actor_cast<caf::actor>(self));
  auto start = clock_type::now();
  for (int64_t i = 0; i < n; ++i)
    caf::anon_send(env.spawn(fork_worker, join), go_atom::value);
  await(self, "fork-join", [](done_atom) {});
  return elapsed_ns(start) / static_cast<double>(n);
}

} // namespace bench
