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
  fire_node_monitors(self, kind, who);
  // Downing acts: the connection to a member declared down is closed, so
  // that links, monitors and proxies to its actors fire here
  // (remote_link_unreachable), pending requests fail and remote children
  // on it restart elsewhere, even while a frozen process keeps its TCP
  // connection open. Probes of down members dial it again (connect()); a
  // node that comes back refutes its `down` and fences itself first.
  if (kind == member_event::member_down && st.settings.disconnect)
    if (auto* p = st.members.find(who.name); p && p->node)
      st.settings.disconnect(p->node, "member " + who.name + " is down");
  // The actors it had this node spawn go with it: nobody else can stop them.
  if (kind == member_event::member_down || kind == member_event::member_left) {
    auto orphans = st.hosted.actors_of(who.name);
    if (!orphans.empty())
      log::info("node", "stopping " + std::to_string(orphans.size())
                            + " actors spawned here by " + who.name + " (it is "
                            + (kind == member_event::member_down ? "down" : "gone")
                            + ")");
    for (auto& a : orphans)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }
}

namespace {

/// The cluster declared this node down, or may have (it was away about
/// down-after or longer): the others close their connections to it, fail what
/// waited on it and restart its remote children elsewhere. Before it comes
/// back, it stops every actor it hosts for others, so that no child runs
/// twice (as Akka's quarantine makes a node restart). A fence after a pause
/// that nobody judged costs those actors a restart by their supervisors,
/// never a second copy.
void fence(agent_actor* self, const std::string& why) {
  auto hosted = self->state.hosted.actors();
  log::warning("membership",
               why + ": stopping the " + std::to_string(hosted.size())
                 + " actors it hosts for others (their owners restart them "
                   "elsewhere) before it rejoins",
               {{"event", "fenced"}, {"actors", std::to_string(hosted.size())}});
  for (auto& a : hosted)
    self->send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace

bool merge(agent_actor* self, const member_info& m, entry_source from,
           const caf::node_id& speaker) {
  if (!certificate_allows(self, m.name, m.agent ? m.agent.node() : speaker,
                          "an entry") ||
      !certificate_allows(self, m.name,
                          from == entry_source::self_report ? speaker
                                                            : caf::node_id{},
                          "a self-report"))
    return false;
  bool known = self->state.members.find(m.name) != nullptr;
  auto outcome = self->state.members.merge(
      m, std::chrono::steady_clock::now(), from);
  if (outcome.refuted && m.state == member_state::down)
    fence(self, "this node was declared down (incarnation "
                  + std::to_string(m.incarnation) + ")");
  if (!outcome.refused.empty())
    membership_warning(self, "ignored gossip about " + m.name + ": "
                                 + outcome.refused);
  if (outcome.contested) {
    // Heard from it just now: the rumour stops here, and the member hears
    // it (it may not, if the speaker thinks it down) and refutes it with a
    // higher incarnation, which then wins everywhere.
    auto* p = self->state.members.find(m.name);
    if (p && p->info.agent) {
      auto rumour = m;
      rumour.agent = nullptr;
      self->send(p->info.agent, gossip_atom::value,
                 std::vector<member_info>{std::move(rumour)});
    }
    if (p)
      membership_warning(
        self, "contested gossip that member " + m.name + " is "
                + to_string(m.state) + ": heard from it "
                + std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - p->heard)
                    .count())
                + " ms ago; it is told, to refute it");
    return false;
  }
  // The member's own word binds its name to the process that said it.
  if (from == entry_source::self_report && speaker)
    if (auto* p = self->state.members.find(m.name))
      p->node = speaker;
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
  membership_warning(self, "member " + p.info.name + " is now "
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
  if (!certificate_allows(self, p.info.name, agent.node(),
                          "the process at " + p.info.address() + " answering"))
    return;
  p.info.agent = std::move(agent);
  // The process at the member's address speaks for it from now on.
  p.node = p.info.agent.node();
  p.heard_since_connect = false;
  // Its process answered at its address: direct evidence.
  membership::heard_from(p, std::chrono::steady_clock::now());
  if (p.reconnecting) {
    p.reconnecting = false;
    log::info("membership", "reconnected to member " + p.info.name);
  }
  self->monitor(p.info.agent);
  serve_waiters(self);
  // The whole view first: gossip that went out while this connection was
  // being made missed the member, and only members are heard (a node that
  // joined meanwhile would otherwise stay unknown to it).
  self->send(p.info.agent, gossip_atom::value, view(self));
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
              membership_warning(self, "cannot connect to member " + name
                                           + ": " + render(err));
          });
}

caf::result<std::vector<member_info>>
accept_join(agent_actor* self, member_info& joiner, uint64_t type_set,
            const std::vector<std::string>* type_names) {
  auto& st = self->state;
  auto& my_name = st.members.me().name;
  auto& sender = self->current_sender();
  if (!sender || sender->node() == self->node()) {
    refuse(self, "a join of " + joiner.name, "no remote sender");
    return make_error(errc::not_allowed, "a join must come from the joiner");
  }
  if (!certificate_allows(self, joiner.name, sender->node(), "a join"))
    return make_error(errc::not_allowed,
                      "a join as " + joiner.name
                        + " from a node whose TLS certificate names another "
                          "member");
  if (type_set != st.settings.type_set_id) {
    // The refusal never tells the cluster's digest: a joiner must bring the
    // same types, not learn which digest to claim.
    log::warning("membership", "refused join of " + joiner.name
                                   + ": different message types (its digest "
                                   + std::to_string(type_set) + ")");
    return make_error(errc::type_set_mismatch,
                      "node " + joiner.name
                        + " registers a different set of message types than "
                        + my_name
                        + type_set_difference(joiner.name, my_name,
                                              st.settings, type_names));
  }
  if (joiner.name == my_name)
    return make_error(errc::name_taken,
                      "node name " + joiner.name
                        + " is the name of the member this node joins through "
                          "(at "
                        + st.members.me().address()
                        + "); give every node its own --troupe.node-name");
  auto nid = sender->node();
  if (joiner.agent && joiner.agent.node() != nid) {
    refuse(self, "a join of " + joiner.name,
           "its agent lives in another process");
    return make_error(errc::not_allowed,
                      "a join must carry the joiner's own agent");
  }
  auto* known = st.members.find(joiner.name);
  if (known && membership::alive(known->info.state) && known->info.agent
      && known->node && known->node != nid) {
    log::warning("security", "refused join of " + joiner.name + " from node "
                                 + to_string(nid) + ": member " + joiner.name
                                 + " is alive and connected at "
                                 + known->info.address());
    return make_error(errc::name_taken,
                      "node name " + joiner.name
                          + " belongs to a live member at "
                          + known->info.address()
                          + "; give every node its own --troupe.node-name, or "
                            "stop that member first");
  }
  if (auto* other = st.members.find_by_node(nid);
      other && other->info.name != joiner.name
      && membership::alive(other->info.state)) {
    log::warning("security", "refused join of " + joiner.name + " from node "
                                 + to_string(nid) + ": that process is member "
                                 + other->info.name);
    return make_error(errc::not_allowed, "this process is already member "
                                             + other->info.name);
  }
  if (!known && st.members.peers().size() >= st.settings.members.max_members) {
    membership_warning(self, "refused join of " + joiner.name
                                 + ": the member table is full");
    return make_error(errc::not_allowed,
                      "the cluster has " + std::to_string(st.members.peers().size())
                          + " members, the most troupe.max-members allows");
  }
  // A proven process always comes back, even when forged gossip left its
  // name at an incarnation beyond its own: its entry is lifted above it
  // (it adopts the number when it reads this view).
  if (known && joiner.incarnation <= known->info.incarnation)
    joiner.incarnation = membership::saturating_next(known->info.incarnation);
  joiner.state = member_state::up;
  merge(self, joiner, entry_source::self_report, nid);
  if (auto* p = st.members.find(joiner.name); !p || p->node != nid)
    return make_error(errc::not_allowed,
                      "the join of " + joiner.name + " was not accepted");
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
  // Lifeguard's local health: a tick far behind its time means this node
  // was paused (SIGSTOP, a VM stall) or starved; it was the one away, so it
  // excuses its peers' silence rather than accusing all of them at once.
  if (st.next_tick != std::chrono::steady_clock::time_point{})
    if (auto late = st.detector.excuse_pause(st.members.peers(), st.next_tick,
                                             now);
        late > std::chrono::steady_clock::duration::zero()) {
      auto ms = std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(late).count());
      log::warning("membership",
                   "this node's heartbeat timer ran " + ms
                     + " ms late (the process was paused or starved): its "
                       "peers' silence meanwhile is no evidence, so none is "
                       "suspected for it");
      // Away about as long as the others wait before they declare a node
      // down: they may have, and restarted what it hosts for them
      // elsewhere. Their silence can exceed this node's lateness by up to
      // two heartbeat intervals (the last beat before the pause, this
      // tick's period), hence the margin.
      auto threshold = std::max<caf::timespan>(
        st.settings.suspect_after,
        st.settings.down_after - 3 * st.settings.heartbeat_interval);
      if (late > threshold)
        fence(self, "this node was away " + ms
                      + " ms, about troupe.down-after or longer: the cluster "
                        "may have declared it down");
    }
  for (auto& v : st.detector.check(st.members.peers(), now)) {
    auto* p = st.members.find(v.member);
    if (v.state == member_state::up)
      // Heard again: nothing to spread (the member refutes the suspicion
      // that went out itself, with a higher incarnation).
      st.members.mark(*p, member_state::up, now);
    else
      mark(self, *p, v.state, v.why);
  }
  // Suspicion needs evidence: every suspect is probed, directly and
  // through other members, a round at a time until it is up or down.
  for (auto& [name, p] : st.members.peers())
    if (p.info.state == member_state::suspect && !p.probing)
      probe_suspect(self, name);
  // Tombstones expire: a forged or long-gone member does not stay (nor get
  // probed) forever.
  for (auto& name : st.members.expire(now, st.settings.tombstone_ttl))
    log::info("membership", "forgot member " + name + " (down or removed for "
                                "longer than troupe.tombstone-ttl)");
  // Anti-entropy: every few ticks the whole view to one live peer in turn,
  // so that news lost on the way (a relay that died) reaches everyone.
  if (st.ticks % 5 == 0) {
    std::vector<caf::actor> live;
    for_each_live_peer(self, [&](const caf::actor& a) { live.push_back(a); });
    if (!live.empty())
      self->send(live[(st.ticks / 5) % live.size()], gossip_atom::value,
                 view(self));
  }
  // Every few ticks, probe members marked down (see connect()).
  if (++st.ticks % 5 == 0)
    for (auto& [name, p] : st.members.peers())
      if (p.info.state == member_state::down)
        connect(self, name, true);
  serve_waiters(self);
}

} // namespace troupe::detail
