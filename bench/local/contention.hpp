#pragma once
// N:1 mailbox contention: S producers send to one counter at the same time,
// so enqueues race on a single mailbox. The figure is the time per message.

#include <vector>

#include <caf/scoped_actor.hpp>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"
#include "local/await.hpp"
#include "local/counting.hpp"

namespace bench {

/// Nanoseconds per message.
template <class Env>
double contention_ns(options& opts, int64_t senders, int64_t per_sender) {
  Env env{opts};
  caf::scoped_actor self{env.sys()};
  auto total = senders * per_sender;
  auto counter = env.service(counter_actor, total,
                             caf::actor_cast<caf::actor>(self));
  std::vector<caf::actor> producers;
  for (int64_t i = 0; i < senders; ++i)
    producers.push_back(env.spawn(producer_actor, counter, per_sender));
  auto start = clock_type::now();
  for (auto& p : producers)
    self->send(p, go_atom::value);
  await(self, "contention", [](done_atom) {});
  return elapsed_ns(start) / static_cast<double>(total);
}

} // namespace bench
