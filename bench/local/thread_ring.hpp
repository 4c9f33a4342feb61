#pragma once
// Thread ring (Savina): N actors in a ring pass one token M times in all;
// the figure is the time per hop. Every hop wakes a different actor, so it
// measures scheduling more than messaging.

#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"

namespace bench {

struct ring_state {
  // Not an aggregate: CAF 0.17 constructs a state from the actor's own
  // pointer when it can, and C++20 lets an aggregate take that pointer as its
  // first member (here a caf::actor that would start as the actor itself).
  ring_state() = default;
  caf::actor next;
  caf::actor reply_to;
};

inline caf::behavior ring_member(caf::stateful_actor<ring_state>* self) {
  return {
    [self](next_atom, caf::actor next, caf::actor reply_to) {
      self->state.next = std::move(next);
      self->state.reply_to = std::move(reply_to);
    },
    [self](token_atom, int64_t left) {
      if (left > 0)
        self->send(self->state.next, token_atom::value, left - 1);
      else
        self->send(self->state.reply_to, done_atom::value);
    },
  };
}

/// Nanoseconds per hop.
template <class Env>
double thread_ring_ns(options& opts, size_t members, int64_t hops) {
  Env env{opts};
  std::vector<caf::actor> ring;
  for (size_t i = 0; i < members; ++i)
    ring.push_back(env.service(ring_member));
  caf::scoped_actor self{env.sys()};
  auto me = caf::actor_cast<caf::actor>(self);
  for (size_t i = 0; i < members; ++i)
    self->send(ring[i], next_atom::value, ring[(i + 1) % members], me);
  auto start = clock_type::now();
  self->send(ring[0], token_atom::value, hops - 1);
  await(self, "thread ring", [](done_atom) {});
  return elapsed_ns(start) / static_cast<double>(hops);
}

} // namespace bench
