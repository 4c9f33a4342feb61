#pragma once
// Supervisor restart latency: a service crashes on request; a client keeps
// calling it by name until the restarted incarnation answers. The figure is
// the time from the crash (taken in the failing incarnation) to the first
// message handled by the new one. In troupe the service is a supervised
// child with a stable name; in raw CAF a monitor respawns it and puts the
// new handle into a name map (the client re-reads it on every try).

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"

namespace bench {

inline std::atomic<int64_t> crashed_at_ns{0};

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

inline caf::behavior victim_actor(caf::event_based_actor* self) {
  return {
    [self](crash_atom) {
      crashed_at_ns = now_ns();
      self->quit(caf::sec::runtime_error); // a failure, as a throw would be
    },
    [](ping_atom) { return now_ns(); },
  };
}

using resolve_fn = caf::actor (*)(caf::actor_system&, const std::string&);

struct restart_client_state {
  int64_t left = 0;
  std::vector<double> samples;
};

inline void probe(caf::stateful_actor<restart_client_state>* self,
                  resolve_fn resolve, caf::actor reply_to);

inline void crash_round(caf::stateful_actor<restart_client_state>* self,
                        resolve_fn resolve, caf::actor reply_to) {
  self->send(resolve(self->system(), "victim"), crash_atom::value);
  probe(self, resolve, std::move(reply_to));
}

inline void probe(caf::stateful_actor<restart_client_state>* self,
                  resolve_fn resolve, caf::actor reply_to) {
  self->request(resolve(self->system(), "victim"), std::chrono::seconds(10),
                ping_atom::value)
    .then(
      [self, resolve, reply_to](int64_t handled_at) {
        auto& st = self->state;
        st.samples.push_back(static_cast<double>(handled_at - crashed_at_ns));
        if (--st.left > 0) {
          crash_round(self, resolve, reply_to);
          return;
        }
        self->send(reply_to, done_atom::value, std::move(st.samples));
        self->quit();
      },
      // The old incarnation (or no incarnation yet): ask again.
      [self, resolve, reply_to](caf::error&) { probe(self, resolve, reply_to); });
}

inline caf::behavior restart_client(caf::stateful_actor<restart_client_state>* self,
                                    resolve_fn resolve, int64_t rounds,
                                    caf::actor reply_to) {
  self->state.left = rounds;
  return {
    [self, resolve, reply_to](go_atom) { crash_round(self, resolve, reply_to); },
  };
}

/// Latency samples in nanoseconds, one per restart.
template <class Env>
std::vector<double> restart_latencies(options& opts, int64_t rounds) {
  Env env{opts};
  env.restartable("victim", victim_actor);
  caf::scoped_actor self{env.sys()};
  auto client = env.spawn(restart_client, &Env::resolve, rounds,
                          caf::actor_cast<caf::actor>(self));
  std::vector<double> samples;
  self->send(client, go_atom::value);
  await(self, "restart", [&](done_atom, std::vector<double>& xs) {
    samples = std::move(xs);
  });
  return samples;
}

} // namespace bench
