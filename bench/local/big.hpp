#pragma once
// Big (Savina): N actors, each pings a random peer and waits for its pong
// before the next ping, M times. Many-to-many traffic with N concurrent
// conversations; the figure is the time per message (pings and pongs).

#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"
#include "local/countdown.hpp"

namespace bench {

struct big_state {
  std::vector<caf::actor> peers;
  caf::actor join;
  int64_t left = 0;
  uint64_t rng = 0;

  // xorshift64: cheap, and the same generator in every peer program.
  const caf::actor& random_peer() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return peers[rng % peers.size()];
  }
};

inline caf::behavior big_actor(caf::stateful_actor<big_state>* self,
                               int64_t pings, uint64_t seed) {
  self->state.left = pings;
  self->state.rng = seed * 0x9E3779B97F4A7C15ull + 1;
  return {
    [self](peers_atom, std::vector<caf::actor> peers, caf::actor join) {
      self->state.peers = std::move(peers);
      self->state.join = std::move(join);
    },
    [self](go_atom) { self->send(self->state.random_peer(), ping_atom::value); },
    [self](ping_atom) {
      self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                 pong_atom::value);
    },
    [self](pong_atom) {
      auto& st = self->state;
      if (--st.left > 0)
        self->send(st.random_peer(), ping_atom::value);
      else
        self->send(st.join, done_atom::value);
    },
  };
}

/// Nanoseconds per message (each ping and each pong counts as one).
template <class Env>
double big_ns(options& opts, size_t actors, int64_t pings) {
  Env env{opts};
  std::vector<caf::actor> peers;
  for (size_t i = 0; i < actors; ++i)
    peers.push_back(env.service(big_actor, pings, uint64_t{i}));
  caf::scoped_actor self{env.sys()};
  auto join = env.spawn(countdown_actor, static_cast<int64_t>(actors),
                        caf::actor_cast<caf::actor>(self));
  for (auto& p : peers)
    self->send(p, peers_atom::value, peers, join);
  auto start = clock_type::now();
  for (auto& p : peers)
    self->send(p, go_atom::value);
  await(self, "big", [](done_atom) {});
  auto msgs = 2.0 * static_cast<double>(actors) * static_cast<double>(pings);
  return elapsed_ns(start) / msgs;
}

} // namespace bench
