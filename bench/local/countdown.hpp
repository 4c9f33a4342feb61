#pragma once
// A join point: counts `done` messages and tells `reply_to` when all
// `expected` arrived. Used where a benchmark waits for many actors.

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "local/atoms.hpp"

namespace bench {

struct countdown_state {
  int64_t left = 0;
};

inline caf::behavior countdown_actor(caf::stateful_actor<countdown_state>* self,
                                     int64_t expected, caf::actor reply_to) {
  self->state.left = expected;
  return {
    [self, reply_to](done_atom) {
      if (--self->state.left == 0) {
        self->send(reply_to, done_atom::value);
        self->quit();
      }
    },
  };
}

} // namespace bench
