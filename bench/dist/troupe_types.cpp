#include "dist/troupe_types.hpp"

#include <chrono>
#include <string>

#include <troupe/troupe.hpp>

#include "dist/flow_actors.hpp"
#include "dist/ping_actors.hpp"

namespace bench::dist {
namespace {

/// The node agent of the node this actor runs on.
caf::actor local_agent(caf::local_actor* self) {
  return troupe::local_agent(self->system());
}

constexpr auto agent_timeout = std::chrono::seconds(10);

/// Spawns `type` on member `peer` through that member's agent and makes it
/// `self->state.target`. The member's agent in this node's view was
/// resolved by a direct connection (see the node agent's connect()), so the
/// handle routes straight to that node and no third process relays.
template <class State>
caf::result<void> connect_target(caf::stateful_actor<State>* self,
                                 const std::string& peer, std::string type) {
  auto agent = local_agent(self);
  if (!agent)
    return troupe::make_error(troupe::errc::node_down,
                              "this process runs no troupe node");
  auto rp = self->make_response_promise();
  troupe::cluster_api::members(self, agent, agent_timeout)
      .then(
          [self, rp, peer,
           type](std::vector<troupe::member_info>& view) mutable {
            for (auto& m : view) {
              if (m.name != peer)
                continue;
              if (m.state != troupe::member_state::up || !m.agent)
                break; // not connected yet: the caller retries
              troupe::cluster_api::spawn(self, m.agent, type, caf::message{},
                                         agent_timeout)
                  .then(
                      [self, rp](caf::actor& hdl) mutable {
                        self->state.target = std::move(hdl);
                        rp.deliver(caf::unit);
                      },
                      [rp](caf::error& err) mutable { rp.deliver(err); });
              return;
            }
            rp.deliver(troupe::make_error(troupe::errc::node_down,
                                          "member " + peer
                                              + " is not up and connected in "
                                                "this node's view yet"));
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::behavior troupe_pinger(caf::stateful_actor<pinger_state>* self) {
  return pinger(self, caf::actor{},
                [self](connect_atom,
                       const std::string& peer) -> caf::result<void> {
                  return connect_target(self, peer, "bench-ponger");
                });
}

/// (connect, NODE, SINK_TYPE): its sink is a new SINK_TYPE on NODE.
caf::behavior troupe_blaster(caf::stateful_actor<blaster_state>* self) {
  return blaster(self, caf::actor{},
                 [self](connect_atom, const std::string& peer,
                        std::string& type) -> caf::result<void> {
                   return connect_target(self, peer, std::move(type));
                 });
}

caf::behavior named(caf::event_based_actor* self, std::string name) {
  auto agent = local_agent(self);
  if (agent)
    troupe::cluster_api::register_name(self, agent, name,
                                   caf::actor_cast<caf::actor>(self),
                                   agent_timeout)
        .then([] {},
              [name](caf::error& err) {
                troupe::log::error("bench", "registering " + name + " failed: "
                                                + troupe::render(err));
              });
  return {
      [](echo_atom, int64_t x) { return x; },
  };
}

struct watcher_state {
  // Not an aggregate: see pinger_state.
  watcher_state() = default;

  bool victim_up = false;
  caf::actor reporter;
  caf::response_promise ready;
  bool awaiting_ready = false;
  static inline const char* name = "bench.dist.watcher";
};

caf::behavior watcher(caf::stateful_actor<watcher_state>* self, std::string me,
                      std::string victim) {
  if (auto agent = local_agent(self))
    troupe::cluster_api::subscribe(self, agent, caf::actor_cast<caf::actor>(self));
  return {
      // Answered once this node sees the victim up, so that the benchmark
      // kills it only when every survivor can see it go.
      [self](connect_atom, caf::actor& reporter) -> caf::result<void> {
        auto& st = self->state;
        st.reporter = std::move(reporter);
        if (st.victim_up)
          return caf::unit;
        st.ready = self->make_response_promise();
        st.awaiting_ready = true;
        return st.ready;
      },
      [self, me, victim](troupe::member_event& ev) {
        auto& st = self->state;
        if (ev.member.name != victim)
          return;
        auto now = std::chrono::steady_clock::now();
        if (ev.kind == troupe::member_event::member_up) {
          troupe::log::info("bench", "watcher: " + victim + " is up here");
          st.victim_up = true;
          if (st.awaiting_ready)
            st.ready.deliver(caf::unit);
          st.awaiting_ready = false;
          return;
        }
        troupe::log::info("bench", "watcher: " + victim + " is "
                                       + troupe::to_string(ev.kind) + " here");
        if (!st.reporter)
          return; // nobody asked yet
        self->send(st.reporter, seen_atom::value, me,
                   static_cast<int32_t>(ev.kind),
                   static_cast<int64_t>(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(
                           now.time_since_epoch())
                           .count()));
        self->quit();
      },
  };
}

} // namespace

void register_types(troupe::config& cfg) {
  cfg.add_message_type<series_result>("bench.dist.series_result");
  cfg.export_type("bench-ponger", ponger);
  cfg.export_type("bench-pinger", troupe_pinger);
  cfg.add_message_type<flow_result>("bench.dist.flow_result");
  cfg.export_type("bench-blaster", troupe_blaster);
  cfg.export_type("bench-sink", fast_sink);
  cfg.export_type("bench-slow-sink", slow_sink);
  cfg.export_type("bench-echo", echo_once);
  cfg.export_type("bench-named", named);
  cfg.export_type("bench-watcher", watcher);
}

} // namespace bench::dist
