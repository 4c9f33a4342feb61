#pragma once
// Idle actors: spawn N actors that wait for a message that never comes.
// Figures: resident bytes per actor and spawns per second, until every
// actor has run its initialization (CAF starts an actor asynchronously).

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "harness/memory.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/atoms.hpp"

namespace bench {

inline std::atomic<int64_t> idle_started{0};

inline caf::behavior idle_actor(caf::event_based_actor*) {
  idle_started.fetch_add(1, std::memory_order_relaxed);
  return {[](stop_atom) {}};
}

struct spawn_figures {
  double bytes_per_actor = 0;
  double spawns_per_second = 0;
};

template <class Env>
spawn_figures spawn_idle(options& opts, int64_t n) {
  Env env{opts};
  std::vector<caf::actor> actors;
  actors.reserve(static_cast<size_t>(n));
  // Touch the vector's pages first so they are not counted as actor memory.
  actors.resize(static_cast<size_t>(n));
  actors.clear();
  idle_started = 0;
  auto rss_before = rss_bytes();
  auto start = clock_type::now();
  for (int64_t i = 0; i < n; ++i)
    actors.push_back(env.spawn(idle_actor));
  // Polling a counter: the actors have no one to report to but this thread.
  while (idle_started.load(std::memory_order_relaxed) < n)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  spawn_figures result;
  result.spawns_per_second = static_cast<double>(n) * 1e9 / elapsed_ns(start);
  result.bytes_per_actor = static_cast<double>(rss_bytes() - rss_before)
                           / static_cast<double>(n);
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::kill);
  return result;
}

} // namespace bench
