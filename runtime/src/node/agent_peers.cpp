// The agent's side of membership that needs actors: connecting to members,
// and acting on what the membership rules (membership.hpp) decided (dial,
// gossip, tell subscribers, drop a gone member's names and groups).

#include <memory>
#include <set>

#include <caf/actor_system.hpp>

#include "node/agent_protocol.hpp"
#include "node/agent_state.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

member_info current_me(agent_actor* self) {
  auto& st = self->state;
  auto me = st.members.me();
  me.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - st.started)
                     .count();
  me.actors = self->system().registry().running();
  // CAF keeps no count of all mailboxes; the agent's own queue is the
  // node's congestion signal: a saturated node's agent falls behind. Only
  // the messages already moved into its queue are counted: mailbox().size()
  // would reorganise the queue while the actor is iterating it (UBSan
  // caught that).
  me.backlog = self->mailbox().queue().total_task_size();
  return me;
}

std::vector<member_info> view(agent_actor* self) {
  std::vector<member_info> result{current_me(self)};
  for (auto& kvp : self->state.members.peers())
    result.push_back(kvp.second.info);
  return result;
}

void for_each_live_peer(agent_actor* self,
                        const std::function<void(const caf::actor&)>& f) {
  for (auto& kvp : self->state.members.peers())
    if (kvp.second.info.agent && membership::alive(kvp.second.info.state))
      f(kvp.second.info.agent);
}

void gossip(agent_actor* self, std::vector<member_info> changes) {
  if (changes.empty())
    return;
  for_each_live_peer(self, [&](const caf::actor& agent) {
    self->send(agent, gossip_atom::value, changes);
  });
}

void notify(agent_actor* self, member_event::kind_t kind,
            const member_info& who) {
  auto& st = self->state;
  // Names and group members of a node that is gone disappear with it.
  st.registry.on_member_event(kind, who.name);
  st.groups.on_member_event(kind, who.name);
  log::info("membership", "member " + who.name + " (" + who.address() + ") "
                              + to_string(kind));
  for (auto& sub : st.subscribers)
    self->send(sub, member_event{kind, who});
}

bool merge(agent_actor* self, const member_info& m) {
  bool known = self->state.members.find(m.name) != nullptr;
  auto outcome = self->state.members.merge(m);
  if (!outcome.changed)
    return false;
  if (outcome.connect)
    connect(self, m.name);
  // A new member is announced as gossip described it, a known one as this
  // node now has it.
  if (outcome.event)
    if (auto* p = self->state.members.find(m.name))
      notify(self, *outcome.event, known ? p->info : m);
  serve_waiters(self);
  return true;
}

void mark(agent_actor* self, peer& p, member_state state,
          const std::string& why) {
  auto before = self->state.members.mark(p, state);
  if (!before)
    return;
  log::warning("membership", "member " + p.info.name + " is now "
                                 + to_string(state) + ": " + why);
  if (state == member_state::down && *before != member_state::down)
    notify(self, member_event::member_down, p.info);
  gossip(self, {p.info});
  serve_waiters(self);
}

namespace {

/// A member we consider down answered a probe: tell it, then read its
/// (possibly refuted) view back on the same connection.
void exchange_views_with_downed(agent_actor* self,
                                const caf::actor& peer_agent) {
  self->send(peer_agent, gossip_atom::value, view(self));
  self->request(peer_agent, std::chrono::seconds(5), members_atom::value)
      .then(
          [self](std::vector<member_info>& xs) {
            std::vector<member_info> changed;
            for (auto& m : xs)
              if (merge(self, m))
                changed.push_back(m);
            gossip(self, std::move(changed));
          },
          [](caf::error&) {});
}

/// The connection to `p` is made: use it, and announce this node's names
/// and group members over it (only the owner announces, so that the
/// receiver's handle is direct, never relayed).
void use_new_connection(agent_actor* self, peer& p, caf::actor agent) {
  auto& st = self->state;
  p.info.agent = std::move(agent);
  p.heard_since_connect = false;
  p.last_seen = std::chrono::steady_clock::now();
  if (p.reconnecting) {
    p.reconnecting = false;
    log::info("membership", "reconnected to member " + p.info.name);
  }
  self->monitor(p.info.agent);
  serve_waiters(self);
  auto& me = st.members.me().name;
  for (auto& [name, handle] : st.registry.own())
    self->send(p.info.agent, registry_atom::value, me, name, handle);
  for (auto& [group, handle] : st.groups.own())
    self->send(p.info.agent, group_sync_atom::value, me, group, handle, true);
}

} // namespace

/// Connects to the member's own address: a handle learned through gossip is
/// relayed through the node that sent it, and dies with that node (CAF 0.17).
/// With `probe`, also connects to a member marked down: if it answers, both
/// sides exchange views, it refutes its `down` with a higher incarnation,
/// and a healed partition or a false down (an overloaded machine) recovers.
void connect(agent_actor* self, const std::string& name, bool probe) {
  auto* p = self->state.members.find(name);
  if (!p || p->connecting || (!probe && !membership::alive(p->info.state)))
    return;
  p->connecting = true;
  auto incarnation = p->info.incarnation;
  auto mm = self->state.settings.connector;
  self->request(mm, std::chrono::seconds(10), caf::connect_atom::value,
                p->info.host, p->info.port)
      .then(
          [self, name, incarnation](const caf::node_id&,
                                    caf::strong_actor_ptr& ptr,
                                    const std::set<std::string>&) {
            auto* p = self->state.members.find(name);
            if (!p)
              return;
            p->connecting = false;
            if (!ptr || p->info.incarnation != incarnation)
              return;
            if (membership::alive(p->info.state))
              use_new_connection(self, *p, caf::actor_cast<caf::actor>(ptr));
            else
              exchange_views_with_downed(self,
                                         caf::actor_cast<caf::actor>(ptr));
          },
          [self, name, probe](caf::error& err) {
            auto* p = self->state.members.find(name);
            if (p) {
              p->connecting = false;
              if (p->reconnecting) {
                p->reconnecting = false;
                if (membership::alive(p->info.state))
                  mark(self, *p, member_state::down,
                       "connection lost and reconnecting failed (" + render(err)
                           + ")");
                serve_waiters(self);
                return;
              }
            }
            if (!probe)
              log::warning("membership", "cannot connect to member " + name
                                             + ": " + render(err));
          });
}

caf::result<std::vector<member_info>>
accept_join(agent_actor* self, member_info& joiner, uint64_t type_set) {
  auto& st = self->state;
  auto& my_name = st.members.me().name;
  if (type_set != st.settings.type_set_id) {
    log::warning("membership", "refused join of " + joiner.name
                                   + ": different message types");
    return make_error(errc::type_set_mismatch,
                      "node " + joiner.name
                          + " registers a different set of message types than "
                          + my_name + " (digest " + std::to_string(type_set)
                          + " vs " + std::to_string(st.settings.type_set_id)
                          + ")");
  }
  if (joiner.name == my_name)
    return make_error(errc::name_taken,
                      "node name " + joiner.name + " is this node's name");
  joiner.state = member_state::up;
  merge(self, joiner);
  gossip(self, {joiner});
  return view(self);
}

caf::result<void> leave_cluster(agent_actor* self) {
  // Answered once every live peer confirmed that it knows: the process
  // stops right after, and CAF does not flush messages still queued for a
  // connection it closes.
  self->state.members.me().state = member_state::leaving;
  std::vector<member_info> news{current_me(self)};
  auto pending = std::make_shared<size_t>(0);
  for_each_live_peer(self, [&](const caf::actor&) { ++*pending; });
  if (*pending == 0)
    return caf::unit;
  // Only now: a response promise takes the reply over, and a value returned
  // after making one is dropped (the caller would hang).
  auto rp = self->make_response_promise();
  auto done = [rp, pending]() mutable {
    if (--*pending == 0)
      rp.deliver(caf::unit);
  };
  for_each_live_peer(self, [&](const caf::actor& agent) {
    self->request(agent, std::chrono::seconds(2), gossip_atom::value, news)
        .then([done]() mutable { done(); },
              [done](caf::error&) mutable { done(); });
  });
  return rp;
}

void heartbeat_tick(agent_actor* self) {
  auto& st = self->state;
  auto beat = current_me(self);
  for (auto& [name, p] : st.members.peers()) {
    if (!membership::alive(p.info.state))
      continue;
    if (p.info.agent)
      self->send(p.info.agent, heartbeat_atom::value, beat);
    else
      connect(self, name);
  }
  auto now = std::chrono::steady_clock::now();
  for (auto& v : st.detector.check(st.members.peers(), now)) {
    auto* p = st.members.find(v.member);
    if (v.state == member_state::up)
      p->info.state = member_state::up; // heard again: no news to spread
    else
      mark(self, *p, v.state, v.why);
  }
  // Every few ticks, probe members marked down (see connect()).
  if (++st.ticks % 5 == 0)
    for (auto& [name, p] : st.members.peers())
      if (p.info.state == member_state::down)
        connect(self, name, true);
  serve_waiters(self);
}

} // namespace troupe::detail
