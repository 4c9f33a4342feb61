#include "demos/pingpong_actors.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>

#include <troupe/troupe.hpp>

#include "demos/demo_registry.hpp"

namespace troupe::demos::pingpong {
namespace {

using clock = std::chrono::steady_clock;

/// How often a running series tells its reporter how far it got: often
/// enough for a live line, rare enough not to weigh on the measurement.
constexpr auto report_every = std::chrono::milliseconds(100);

struct pinger_state {
  // Not an aggregate: CAF 0.17 constructs a state from the actor's own
  // pointer when it can, and C++20 lets an aggregate take that pointer as its
  // first member (here a caf::actor that would start as the actor itself).
  pinger_state() = default;
  caf::actor target;
  caf::actor reporter;
  uint64_t warmup = 0;
  uint64_t total = 0; ///< warm-up plus measured round trips
  uint32_t window = 1;
  uint64_t sent = 0;
  uint64_t received = 0;
  std::vector<clock::time_point> sent_at; ///< indexed by seq % window
  clock::time_point start;
  clock::time_point last_report;
  result res;
  bool running = false;
};

int64_t nanos(clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

void send_ping(caf::stateful_actor<pinger_state>* self, clock::time_point now) {
  auto& st = self->state;
  st.sent_at[st.sent % st.window] = now;
  self->send(st.target, ping_atom::value, st.sent);
  ++st.sent;
}

void finish(caf::stateful_actor<pinger_state>* self, clock::time_point now) {
  auto& st = self->state;
  st.res.elapsed_ns = nanos(now - st.start);
  self->send(st.reporter, done_atom::value, std::move(st.res));
  st.running = false;
  st.target = nullptr;
  st.reporter = nullptr;
  st.sent_at.clear();
}

caf::behavior pinger(caf::stateful_actor<pinger_state>* self) {
  return {
    [self](run_atom, caf::actor& target, uint32_t warmup, uint32_t rounds,
           uint32_t window, caf::actor& reporter) -> caf::result<void> {
      auto& st = self->state;
      if (st.running)
        return make_error(errc::not_allowed,
                          "this pinger is already running a series");
      if (!target || !reporter || rounds == 0 || window == 0)
        return make_error(errc::bad_arguments,
                          "a series needs a ponger, a reporter, rounds > 0 "
                          "and window > 0");
      st.target = std::move(target);
      st.reporter = std::move(reporter);
      st.warmup = warmup;
      st.total = uint64_t{warmup} + rounds;
      st.window = window;
      st.sent = 0;
      st.received = 0;
      st.sent_at.assign(window, clock::time_point{});
      st.res = result{};
      st.res.rounds = rounds;
      st.res.window = window;
      if (window == 1)
        st.res.latencies_ns.reserve(rounds);
      st.running = true;
      auto now = clock::now();
      st.start = now;
      st.last_report = now;
      for (uint64_t i = 0; i < std::min<uint64_t>(window, st.total); ++i)
        send_ping(self, now);
      return caf::unit;
    },
    [self](pong_atom, uint64_t seq) {
      auto& st = self->state;
      if (!st.running)
        return; // a pong of an aborted series
      auto now = clock::now();
      // CAF delivers the messages of one sender to one receiver in order,
      // locally and across nodes: any other sequence number is a bug.
      if (seq != st.received)
        ++st.res.out_of_order;
      if (st.received >= st.warmup && st.window == 1)
        st.res.latencies_ns.push_back(nanos(now - st.sent_at[seq % st.window]));
      if (++st.received == st.warmup)
        st.start = now; // the measured part begins
      if (st.sent < st.total)
        send_ping(self, now);
      if (st.received == st.total) {
        finish(self, now);
        return;
      }
      if ((st.received & 63) == 0 && now - st.last_report >= report_every) {
        st.last_report = now;
        auto measured = st.received > st.warmup ? st.received - st.warmup : 0;
        self->send(st.reporter, progress_atom::value, measured);
      }
    },
    [self](stop_atom) { self->quit(); },
  };
}

void setup(troupe::config& cfg) {
  cfg.add_message_type<result>("demo.pp.result");
  cfg.export_type("pp-ponger", ponger);
  cfg.export_type("pp-pinger", pinger);
}

troupe::demo::register_node_setup reg{setup};

} // namespace

caf::behavior ponger(caf::event_based_actor* self) {
  return {
    [](ping_atom, uint64_t seq) { return std::make_tuple(pong_atom::value, seq); },
    [self](stop_atom) { self->quit(); },
  };
}

caf::actor spawn_pinger(caf::actor_system& sys) {
  return sys.spawn(pinger);
}

} // namespace troupe::demos::pingpong
