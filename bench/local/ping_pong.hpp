#pragma once
// Ping-pong (Savina): two actors bounce one message back and forth; the
// figure is the time of one round trip. "named" pings a supervised pong
// through the handle its stable name resolves to. In troupe that handle is
// the name's forwarder, which stays valid across restarts (one extra hop per
// ping); in raw CAF it is the current incarnation itself, which a restart
// invalidates. The row shows what that guarantee costs per message.

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"

namespace bench {

inline caf::behavior pong_actor(caf::event_based_actor* self) {
  return {
    [self](ping_atom, int64_t n) {
      self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                 pong_atom::value, n);
    },
  };
}

inline caf::behavior ping_actor(caf::event_based_actor* self, caf::actor pong,
                                int64_t rounds, caf::actor reply_to) {
  return {
    [self, pong, rounds](go_atom) {
      self->send(pong, ping_atom::value, rounds - 1);
    },
    [self, pong, reply_to](pong_atom, int64_t left) {
      if (left > 0) {
        self->send(pong, ping_atom::value, left - 1);
        return;
      }
      self->send(reply_to, done_atom::value);
      self->quit();
    },
  };
}

/// Nanoseconds per round trip.
template <class Env>
double ping_pong_ns(options& opts, int64_t rounds, bool named) {
  Env env{opts};
  caf::actor pong;
  if (named) {
    env.restartable("pong", pong_actor);
    pong = Env::resolve(env.sys(), "pong");
  } else {
    pong = env.service(pong_actor);
  }
  caf::scoped_actor self{env.sys()};
  auto ping = env.spawn(ping_actor, pong, rounds,
                        caf::actor_cast<caf::actor>(self));
  auto start = clock_type::now();
  self->send(ping, go_atom::value);
  await(self, "ping-pong", [](done_atom) {});
  return elapsed_ns(start) / static_cast<double>(rounds);
}

} // namespace bench
