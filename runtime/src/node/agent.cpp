// The node agent: one actor per node that keeps the membership by gossip,
// detects failures, and holds this node's share of the cluster registry,
// the process groups and the actors hosted for other nodes. This file is
// the dispatch; each concern is its own file:
//   membership.hpp        merge rules, refutation, tombstones (pure)
//   failure_detector.hpp  heartbeat silence -> suspect/down (pure)
//   cluster_registry.hpp  names and the conflict rule (pure)
//   process_groups.hpp    groups (pure)
//   hosted_actors.hpp     remote spawn's allowlist and stopping
//   placement_state.hpp   the node's one placement state (pure)
//   agent_peers.cpp       connecting to members, acting on changes, joins
//   agent_updates.cpp     gossip, heartbeats, registry/group sync, spawn
//   agent_auth.cpp        who sent a message, refusals (rate-limited logs)
//   agent_probes.cpp      probes of suspects, directly and through others
//   agent_watchdog.cpp    the process ends if the agent dies unexpectedly
//   agent_waiters.cpp     requests answered later (place, await_member)
// Its local interface is troupe/cluster_agent.hpp, its peer protocol
// agent_protocol.hpp.
//
// Failure detection has two sources: a CAF monitor on every member's agent
// (fires within milliseconds when a connection breaks, e.g. SIGKILL), and
// heartbeats (a frozen or partitioned node whose socket stays open is
// suspected after `suspect_after`, probed directly and through other
// members, and marked down once the probes went unanswered and the
// suspicion stood for `suspect_timeout`: failure_detector.hpp).
// Incarnations start at the process's wall-clock start time, so a restarted
// node overrides the `down` entry of its previous life.

#include "node/agent.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message_view.hpp>
#include <caf/send.hpp>

#include "node/agent_protocol.hpp"
#include "node/agent_state.hpp"
#include "node/node_stats.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

/// A monitored actor ended: a member's agent (its connection broke), or a
/// local actor with names, group memberships, a subscription or a host.
void agent_down_handler(agent_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto& [name, p] : st.members.peers()) {
    if (!p.info.agent || p.info.agent.address() != dm.source)
      continue;
    if (membership::alive(p.info.state)) {
      p.info.agent = nullptr;
      p.reconnecting = true;
      p.connecting = false;
      connect(self, name);
    } else if (st.members.disconnected(p)) {
      // Kept as a tombstone so that old gossip cannot bring it back.
      log::info("membership",
                "member " + name + " removed: it left and disconnected",
                {{"member", name},
                 {"event", "removed"},
                 {"reason", "left and disconnected"}});
      gossip(self, {p.info});
    }
    return;
  }
  auto& me = st.members.me().name;
  for (auto& name : st.registry.erase_local_actor(dm.source))
    for_each_live_peer(self, [&](const caf::actor& agent) {
      self->send(agent, registry_atom::value, me, name, caf::actor{});
    });
  auto gone = caf::actor_cast<caf::actor>(dm.source);
  for (auto& group : st.groups.erase_local_actor(dm.source))
    for_each_live_peer(self, [&](const caf::actor& agent) {
      self->send(agent, group_sync_atom::value, me, group, gone, false);
    });
  std::erase_if(st.subscribers,
                [&](auto& s) { return s.address() == dm.source; });
  std::erase_if(st.node_monitors,
                [&](auto& m) { return m.subscriber.address() == dm.source; });
  st.hosted.erase(dm.source);
}

/// Parks a request until serve_waiters can answer it (or `max_wait`).
template <class Waiters, class... Ts>
caf::response_promise park_until_served(agent_actor* self, Waiters& waiters,
                                        caf::timespan max_wait, Ts&&... xs) {
  auto rp = self->make_response_promise();
  waiters.push_back({std::forward<Ts>(xs)..., rp,
                     std::chrono::steady_clock::now() + max_wait});
  self->delayed_send(self, max_wait, wake_atom::value);
  serve_waiters(self);
  return rp;
}

/// The agent's end by an exit message: one sent by an actor of this process
/// (the node's stop: node.cpp) is obeyed, after telling the watchdog; one
/// from a peer, or anonymous (caf::anon_send_exit names the receiver itself
/// as the source, from anywhere), is refused.
void agent_exit_handler(agent_actor* self, caf::exit_msg& em) {
  if (!from_local(self) || (em.source && em.source.node() != self->node())) {
    refuse(self, "an exit message (" + render(em.reason) + ")",
           "only this process stops its agent");
    return;
  }
  if (em.reason == caf::exit_reason::normal)
    return;
  self->send(self->state.watchdog, disarm_atom::value);
  self->quit(std::move(em.reason));
}

caf::error local_only(agent_actor* self, const char* what) {
  if (from_local(self))
    return {};
  refuse(self, what, "only actors of this process may ask it");
  return make_error(errc::not_allowed,
                    std::string{what} + " is only for actors on the same node");
}

caf::behavior node_agent(agent_actor* self, member_info me,
                         agent_settings settings) {
  self->state.init(std::move(me), std::move(settings));
  self->state.members.me().agent = caf::actor_cast<caf::actor>(self);
  self->state.watchdog = spawn_watchdog(
      self->system(), caf::actor_cast<caf::actor>(self),
      self->state.members.me().name, self->state.settings.exit_on_agent_death);
  self->set_down_handler(
      [self](caf::down_msg& dm) { agent_down_handler(self, dm); });
  self->set_exit_handler(
      [self](caf::exit_msg& em) { agent_exit_handler(self, em); });
  // Never CAF's default (it prints the whole message, whatever its size).
  self->set_default_handler(
      [self](caf::scheduled_actor*,
             caf::message_view& x) -> caf::result<caf::message> {
        log_unexpected(self, x.content());
        return caf::sec::unexpected_message;
      });
  self->send(self, tick_atom::value);
  return {
      [self](join_atom, member_info& joiner, uint64_t type_set) {
        return accept_join(self, joiner, type_set, nullptr);
      },
      [self](join_atom, member_info& joiner, uint64_t type_set,
             std::vector<std::string>& type_names) {
        return accept_join(self, joiner, type_set, &type_names);
      },
      [self](gossip_atom, std::vector<member_info>& xs) {
        apply_gossip(self, xs);
      },
      [self](heartbeat_atom, member_info& m) { apply_heartbeat(self, m); },
      [self](probe_atom, const std::string& target) {
        return serve_probe(self, target);
      },
      [self](ping_atom) { return answer_ping(self); },
      [self](members_atom) { return view(self); },
      // From anyone, as members: counts only (troupe top --seed).
      [](stats_atom) { return stats_json(); },
      [self](place_atom, placement& where,
             caf::timespan max_wait) -> caf::result<std::vector<member_info>> {
        if (auto err = local_only(self, "place"))
          return err;
        return park_until_served(self, self->state.place_waiters, max_wait,
                                 std::move(where));
      },
      [self](await_member_atom, std::string& name,
             caf::timespan max_wait) -> caf::result<member_info> {
        if (auto err = local_only(self, "await_member"))
          return err;
        return park_until_served(self, self->state.member_waiters, max_wait,
                                 std::move(name));
      },
      [self](wake_atom) {
        if (from_local(self))
          serve_waiters(self);
      },
      [self](bound_atom, uint16_t port) {
        // Sent once by node::start right after publishing; never again.
        if (!std::exchange(self->state.bound, true))
          self->state.members.me().port = port;
        else
          refuse(self, "a new port", "the port is set once");
      },
      [self](register_atom, std::string& name,
             caf::actor& handle) -> caf::result<void> {
        if (auto err = local_only(self, "register"))
          return err;
        auto& st = self->state;
        if (auto err = st.registry.register_local(name, handle))
          return err;
        self->monitor(handle);
        for_each_live_peer(self, [&](const caf::actor& agent) {
          self->send(agent, registry_atom::value, st.members.me().name, name,
                     handle);
        });
        serve_waiters(self); // await_name
        return caf::unit;
      },
      [self](registry_atom, std::string& owner, std::string& name,
             caf::actor& handle) {
        apply_registry_sync(self, owner, name, handle);
        serve_waiters(self); // await_name
      },
      [self](unregister_atom, const std::string& name) -> caf::result<void> {
        if (auto err = local_only(self, "unregister"))
          return err;
        return unregister_name(self, name);
      },
      [self](await_name_atom, std::string& name,
             caf::timespan max_wait) -> caf::result<caf::actor> {
        if (auto err = local_only(self, "await_name"))
          return err;
        return park_until_served(self, self->state.name_waiters, max_wait,
                                 std::move(name));
      },
      [self](group_leave_atom, const std::string& group,
             const caf::actor& handle) -> caf::result<void> {
        if (auto err = local_only(self, "group_leave"))
          return err;
        return leave_group(self, group, handle);
      },
      [self](monitor_node_atom, const std::string& name, caf::actor& sub) {
        if (!local_only(self, "monitor_node"))
          monitor_node(self, name, sub);
      },
      [self](whereis_atom, const std::string& name) -> caf::result<caf::actor> {
        if (!from_local_or_member(self, "whereis"))
          return make_error(errc::not_allowed, "whereis is for members");
        auto found = self->state.registry.whereis(name);
        if (!found)
          return std::move(found.error());
        return std::move(*found);
      },
      [self](group_join_atom, const std::string& group,
             caf::actor& handle) -> caf::result<void> {
        if (auto err = local_only(self, "group_join"))
          return err;
        auto& st = self->state;
        st.groups.join_local(group, handle);
        self->monitor(handle);
        for_each_live_peer(self, [&](const caf::actor& agent) {
          self->send(agent, group_sync_atom::value, st.members.me().name, group,
                     handle, true);
        });
        return caf::unit;
      },
      [self](group_sync_atom, const std::string& owner,
             const std::string& group, caf::actor& handle, bool joined) {
        apply_group_sync(self, owner, group, handle, joined);
      },
      [self](group_members_atom,
             const std::string& group) -> caf::result<std::vector<caf::actor>> {
        if (!from_local_or_member(self, "group_members"))
          return make_error(errc::not_allowed, "group_members is for members");
        return self->state.groups.members(group);
      },
      [self](spawn_atom, const std::string& type, caf::message& args) {
        return spawn_hosted(self, type, args);
      },
      [self](stop_spawned_atom, caf::timespan grace) -> caf::result<void> {
        if (auto err = local_only(self, "stop_spawned"))
          return err;
        // Part of a node's orderly stop: the actors it hosts for others get
        // user_shutdown, then a kill after `grace`.
        auto& hosted = self->state.hosted;
        if (hosted.size() == 0)
          return caf::unit;
        log::info("node", "stopping " + std::to_string(hosted.size())
                              + " actors spawned here by other nodes");
        for (auto& a : hosted.actors())
          self->send_exit(a, caf::exit_reason::user_shutdown);
        auto rp = self->make_response_promise();
        hosted.when_all_stopped(rp);
        self->delayed_send(self, grace, stop_spawned_atom::value);
        return rp;
      },
      [self](stop_spawned_atom) {
        auto& hosted = self->state.hosted;
        if (self->current_sender() != self->ctrl() || hosted.size() == 0)
          return;
        log::warning(
            "node", std::to_string(hosted.size())
                        + " spawned actors did not stop in time; killing them");
        for (auto& a : hosted.actors())
          self->send_exit(a, caf::exit_reason::kill);
      },
      [self](subscribe_atom, caf::actor& sub) {
        if (local_only(self, "subscribe"))
          return;
        self->monitor(sub);
        self->state.subscribers.push_back(sub);
        self->send(sub,
                   member_event{member_event::member_up, current_me(self)});
        for (auto& [name, p] : self->state.members.peers())
          if (membership::alive(p.info.state))
            self->send(sub, member_event{member_event::member_up, p.info});
      },
      [self](leave_atom) -> caf::result<void> {
        if (auto err = local_only(self, "leave"))
          return err;
        return leave_cluster(self);
      },
      [self](tick_atom) {
        if (self->current_sender() != self->ctrl())
          return;
        heartbeat_tick(self);
        auto interval = self->state.settings.heartbeat_interval;
        self->state.next_tick = std::chrono::steady_clock::now() + interval;
        self->delayed_send(self, interval, tick_atom::value);
      },
  };
}

} // namespace

caf::actor spawn_agent(caf::actor_system& sys, member_info self,
                       agent_settings settings) {
  return sys.spawn(node_agent, std::move(self), settings);
}

} // namespace troupe::detail
