// The node agent. Every agent keeps the full membership (member_info per
// node name) and converges by gossip: each change is pushed to every member
// it knows, and a node that joins gets the whole view. Conflicts resolve the
// same way everywhere: a higher incarnation wins, and within one
// incarnation the "worse" state wins (up < suspect < leaving < down), so
// every node ends with the same view whatever order gossip arrives in.
// Incarnations start at the process's wall-clock start time, so a restarted
// node overrides the `down` entry of its previous life.
//
// Failure detection has two sources: a CAF monitor on every member's agent
// (fires within milliseconds when a connection breaks, e.g. SIGKILL), and
// heartbeats (a frozen or partitioned node whose socket stays open is
// suspected after `suspect_after` and marked down after `down_after`).
// Detection only suspects; marking down is the timeout-based downing policy.

#include "node/agent.hpp"

#include <chrono>
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "node/placement_state.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

using steady = std::chrono::steady_clock;

struct peer {
  member_info info;
  steady::time_point last_seen;
  bool connecting = false;
  // The connection broke and one reconnect is on its way: a dead process
  // refuses it at once (then the member is down), while a connection that
  // CAF dropped because both sides dialled each other at once comes back.
  bool reconnecting = false;
};

struct registration {
  caf::actor handle;
  std::string owner; // node name
};

struct agent_state {
  member_info me;
  std::map<std::string, registration> registry;
  // Process groups: group -> members, each with the node that owns it.
  std::map<std::string, std::vector<registration>> groups;
  agent_settings settings;
  std::map<std::string, peer> peers; // everyone but this node
  std::vector<caf::actor> subscribers;
  // Actors spawned here for other nodes. Nothing stops them otherwise: CAF
  // keeps every actor it has sent over the network alive (no distributed
  // GC), and the system waits for all actors when it shuts down.
  std::vector<caf::actor> spawned;
  std::vector<caf::response_promise> awaiting_spawned_stop;
  steady::time_point started = steady::now();
  uint64_t ticks = 0;
  placement_state placements;
  struct place_waiter {
    placement where;
    caf::response_promise rp;
    steady::time_point until;
  };
  std::vector<place_waiter> place_waiters;
  struct member_waiter {
    std::string name;
    caf::response_promise rp;
    steady::time_point until;
  };
  std::vector<member_waiter> member_waiters;
  static inline const char* name = "troupe.agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

int rank(member_state x) {
  switch (x) {
    case member_state::joining:
      return 0;
    case member_state::up:
      return 1;
    case member_state::suspect:
      return 2;
    case member_state::leaving:
      return 3;
    case member_state::down:
      return 4;
    case member_state::removed:
      return 5;
  }
  return 0;
}

bool alive(member_state x) {
  return x == member_state::up || x == member_state::suspect
         || x == member_state::joining;
}

member_info current_me(agent_actor* self) {
  auto& st = self->state;
  auto me = st.me;
  me.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   steady::now() - st.started)
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
  for (auto& kvp : self->state.peers)
    result.push_back(kvp.second.info);
  return result;
}

/// Answers the `place` and `await_member` requests that can be answered
/// now: a placement once every worker member that is up is connected (right
/// after a join only the seed is: placing then put every child there) or at
/// its deadline; a member once it is up and connected, gone, or at the
/// deadline.
void serve_waiters(agent_actor* self) {
  auto& st = self->state;
  if (st.place_waiters.empty() && st.member_waiters.empty())
    return;
  auto now = steady::now();
  auto xs = view(self);
  bool settled = std::none_of(xs.begin(), xs.end(), [](auto& m) {
    return m.state == member_state::up && m.hosts_placed_actors() && !m.agent;
  });
  std::erase_if(st.place_waiters, [&](auto& w) {
    if (!settled && now < w.until)
      return false;
    w.rp.deliver(st.placements.order(w.where, up_workers(xs)));
    return true;
  });
  std::erase_if(st.member_waiters, [&](auto& w) {
    auto m = std::find_if(xs.begin(), xs.end(),
                          [&](auto& x) { return x.name == w.name; });
    if (m == xs.end())
      w.rp.deliver(make_error(errc::node_down, "no member named " + w.name));
    else if (m->state == member_state::up && m->agent)
      w.rp.deliver(*m);
    else if (m->state != member_state::up && m->state != member_state::joining)
      w.rp.deliver(make_error(errc::node_down, "member " + w.name + " is "
                                                 + to_string(m->state)));
    else if (now >= w.until)
      w.rp.deliver(make_error(errc::node_down,
                              "member " + w.name + " is up, but this node "
                                "could not connect to it within the timeout"));
    else
      return false;
    return true;
  });
}

/// Publishes the registry to node::whereis (see registry_mirror.hpp).
void mirror_registry(agent_actor* self) {
  auto& st = self->state;
  if (!st.settings.registry)
    return;
  registry_mirror::entries xs;
  xs.reserve(st.registry.size());
  for (auto& [name, entry] : st.registry)
    xs.emplace(name, entry.handle);
  st.settings.registry->assign(std::move(xs));
}

void notify(agent_actor* self, member_event::kind_t kind,
            const member_info& who) {
  if (kind != member_event::member_up) {
    // Names of a node that is gone disappear with it.
    auto& reg = self->state.registry;
    for (auto i = reg.begin(); i != reg.end();)
      i = i->second.owner == who.name ? reg.erase(i) : std::next(i);
    mirror_registry(self);
    for (auto& [group, members] : self->state.groups)
      std::erase_if(members, [&](auto& m) { return m.owner == who.name; });
  }
  log::info("membership", "member " + who.name + " (" + who.address() + ") "
                            + to_string(kind));
  for (auto& sub : self->state.subscribers)
    self->send(sub, member_event{kind, who});
}

void gossip(agent_actor* self, std::vector<member_info> changes) {
  if (changes.empty())
    return;
  for (auto& kvp : self->state.peers) {
    auto& p = kvp.second;
    if (p.info.agent && alive(p.info.state))
      self->send(p.info.agent, gossip_atom::value, changes);
  }
}

bool merge(agent_actor* self, const member_info& m);

/// Connects to the member's own address: a handle learned through gossip is
/// relayed through the node that sent it, and dies with that node (CAF 0.17).
/// With `probe`, also connects to a member marked down: if it answers, both
/// sides exchange views, it refutes its `down` with a higher incarnation,
/// and a healed partition or a false down (an overloaded machine) recovers.
void mark(agent_actor* self, peer& p, member_state state, const std::string& why);

void connect(agent_actor* self, const std::string& name, bool probe = false) {
  auto& st = self->state;
  auto i = st.peers.find(name);
  if (i == st.peers.end() || i->second.connecting
      || (!probe && !alive(i->second.info.state)))
    return;
  i->second.connecting = true;
  auto host = i->second.info.host;
  auto port = i->second.info.port;
  auto incarnation = i->second.info.incarnation;
  auto mm = self->system().middleman().actor_handle();
  self
    ->request(mm, std::chrono::seconds(10), caf::connect_atom::value, host, port)
    .then(
      [self, name, incarnation](const caf::node_id&, caf::strong_actor_ptr& ptr,
                                const std::set<std::string>&) {
        auto i = self->state.peers.find(name);
        if (i == self->state.peers.end())
          return;
        i->second.connecting = false;
        if (!ptr || i->second.info.incarnation != incarnation)
          return;
        if (!alive(i->second.info.state)) {
          // A probe reached a member we consider down: tell it, then read
          // its (possibly refuted) view back on the same connection.
          auto peer_agent = caf::actor_cast<caf::actor>(ptr);
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
          return;
        }
        i->second.info.agent = caf::actor_cast<caf::actor>(ptr);
        i->second.last_seen = steady::now();
        if (i->second.reconnecting) {
          i->second.reconnecting = false;
          log::info("membership", "reconnected to member " + name);
        }
        self->monitor(i->second.info.agent);
        serve_waiters(self);
        // Only the owner announces its names, over its own connection, so
        // that the receiver's handle is direct, never relayed.
        for (auto& [reg_name, entry] : self->state.registry)
          if (entry.owner == self->state.me.name)
            self->send(i->second.info.agent, registry_atom::value,
                       self->state.me.name, reg_name, entry.handle);
        for (auto& [group, members] : self->state.groups)
          for (auto& m : members)
            if (m.owner == self->state.me.name)
              self->send(i->second.info.agent, group_sync_atom::value,
                         self->state.me.name, group, m.handle, true);
      },
      [self, name, probe](caf::error& err) {
        auto i = self->state.peers.find(name);
        if (i != self->state.peers.end()) {
          i->second.connecting = false;
          if (i->second.reconnecting) {
            i->second.reconnecting = false;
            if (alive(i->second.info.state))
              mark(self, i->second, member_state::down,
                   "connection lost and reconnecting failed (" + render(err)
                     + ")");
            serve_waiters(self);
            return;
          }
        }
        if (!probe)
          log::warning("membership", "cannot connect to member " + name + ": "
                                     + render(err));
      });
}

/// Applies one entry of someone's view; returns true if it changed ours.
bool merge(agent_actor* self, const member_info& m) {
  auto& st = self->state;
  if (m.name == st.me.name) {
    if (m.incarnation >= st.me.incarnation
        && (m.state == member_state::suspect || m.state == member_state::down)
        && st.me.state == member_state::up) {
      // Refute: we are alive. Only we may raise our incarnation.
      st.me.incarnation = m.incarnation + 1;
      log::warning("membership", "refuting a rumour that this node is "
                                   + to_string(m.state));
      return true;
    }
    return false;
  }
  auto i = st.peers.find(m.name);
  if (i == st.peers.end()) {
    peer p{m, steady::now(), false};
    p.info.agent = nullptr; // resolved by a direct connection
    st.peers.emplace(m.name, std::move(p));
    if (alive(m.state)) {
      connect(self, m.name);
      notify(self, member_event::member_up, m);
    }
    return true;
  }
  auto& cur = i->second.info;
  bool newer = m.incarnation > cur.incarnation
               || (m.incarnation == cur.incarnation
                   && rank(m.state) > rank(cur.state));
  if (!newer) {
    if (m.incarnation == cur.incarnation) {
      cur.actors = m.actors;
      cur.backlog = m.backlog;
      cur.uptime_ms = m.uptime_ms;
    }
    return false;
  }
  auto before = cur.state;
  bool new_life = m.incarnation > cur.incarnation
                  && (m.host != cur.host || m.port != cur.port
                      || !alive(before));
  auto agent = cur.agent;
  cur = m;
  cur.agent = new_life ? caf::actor{} : agent;
  i->second.last_seen = steady::now();
  if (new_life && alive(m.state)) {
    i->second.connecting = false;
    connect(self, m.name);
  }
  if (alive(m.state) && !alive(before))
    notify(self, member_event::member_up, cur);
  else if (m.state == member_state::down && before != member_state::down)
    notify(self, member_event::member_down, cur);
  else if (m.state == member_state::leaving && before != member_state::leaving)
    notify(self, member_event::member_left, cur);
  serve_waiters(self);
  return true;
}

void mark(agent_actor* self, peer& p, member_state state, const std::string& why) {
  if (p.info.state == state)
    return;
  log::warning("membership", "member " + p.info.name + " is now "
                               + to_string(state) + ": " + why);
  auto before = p.info.state;
  p.info.state = state;
  if (state == member_state::down && before != member_state::down)
    notify(self, member_event::member_down, p.info);
  gossip(self, {p.info});
  serve_waiters(self);
}

caf::behavior agent(agent_actor* self, member_info me, agent_settings settings) {
  auto& st = self->state;
  st.me = std::move(me);
  st.me.agent = caf::actor_cast<caf::actor>(self);
  st.me.state = member_state::up;
  st.settings = settings;
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& kvp : st.peers) {
      auto& p = kvp.second;
      if (p.info.agent && p.info.agent.address() == dm.source) {
        p.info.agent = nullptr;
        if (alive(p.info.state)) {
          p.reconnecting = true;
          p.connecting = false;
          connect(self, kvp.first);
        } else if (p.info.state == member_state::leaving) {
          // It said goodbye and its process is gone: the end of a graceful
          // leave. Kept as a tombstone so that old gossip cannot bring it
          // back; a new incarnation of the node replaces it.
          p.info.state = member_state::removed;
          log::info("membership", "member " + p.info.name
                                    + " removed: it left and disconnected");
          gossip(self, {p.info});
        }
        return;
      }
    }
    for (auto i = st.registry.begin(); i != st.registry.end();) {
      if (i->second.owner == st.me.name && i->second.handle.address() == dm.source) {
        for (auto& kvp : st.peers)
          if (kvp.second.info.agent && alive(kvp.second.info.state))
            self->send(kvp.second.info.agent, registry_atom::value, st.me.name,
                       i->first, caf::actor{});
        i = st.registry.erase(i);
      } else {
        ++i;
      }
    }
    mirror_registry(self);
    for (auto& [group, members] : st.groups) {
      auto n = std::erase_if(members, [&](auto& m) {
        return m.owner == st.me.name && m.handle.address() == dm.source;
      });
      if (n > 0)
        for (auto& kvp : st.peers)
          if (kvp.second.info.agent && alive(kvp.second.info.state))
            self->send(kvp.second.info.agent, group_sync_atom::value,
                       st.me.name, group,
                       caf::actor_cast<caf::actor>(dm.source), false);
    }
    auto& subs = st.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](auto& s) { return s.address() == dm.source; }),
               subs.end());
    std::erase_if(st.spawned,
                  [&](auto& a) { return a.address() == dm.source; });
    if (st.spawned.empty()) {
      for (auto& rp : st.awaiting_spawned_stop)
        rp.deliver(caf::unit);
      st.awaiting_spawned_stop.clear();
    }
  });
  self->send(self, tick_atom::value);
  return {
    [self](join_atom, member_info& joiner,
           uint64_t type_set) -> caf::result<std::vector<member_info>> {
      auto& st = self->state;
      if (type_set != st.settings.type_set_id) {
        log::warning("membership", "refused join of " + joiner.name
                                     + ": different message types");
        return make_error(errc::type_set_mismatch,
                          "node " + joiner.name + " registers a different set "
                            "of message types than " + st.me.name
                            + " (digest " + std::to_string(type_set) + " vs "
                            + std::to_string(st.settings.type_set_id) + ")");
      }
      if (joiner.name == st.me.name)
        return make_error(errc::name_taken,
                          "node name " + joiner.name + " is this node's name");
      joiner.state = member_state::up;
      merge(self, joiner);
      gossip(self, {joiner});
      return view(self);
    },
    [self](gossip_atom, std::vector<member_info>& xs) {
      std::vector<member_info> changed;
      for (auto& m : xs)
        if (merge(self, m))
          changed.push_back(m.name == self->state.me.name ? current_me(self)
                                                          : m);
      gossip(self, std::move(changed));
    },
    [self](heartbeat_atom, member_info& m) {
      auto i = self->state.peers.find(m.name);
      if (i != self->state.peers.end()
          && i->second.info.incarnation == m.incarnation) {
        i->second.last_seen = steady::now();
        self->state.placements.heard_from(m.name);
      }
      if (merge(self, m))
        gossip(self, {m});
    },
    [self](members_atom) { return view(self); },
    [self](place_atom, placement& where,
           caf::timespan max_wait) -> caf::result<std::vector<member_info>> {
      auto rp = self->make_response_promise();
      self->state.place_waiters.push_back({std::move(where), rp,
                                           steady::now() + max_wait});
      self->delayed_send(self, max_wait, wake_atom::value);
      serve_waiters(self);
      return rp;
    },
    [self](await_member_atom, std::string& name,
           caf::timespan max_wait) -> caf::result<member_info> {
      auto rp = self->make_response_promise();
      self->state.member_waiters.push_back({std::move(name), rp,
                                            steady::now() + max_wait});
      self->delayed_send(self, max_wait, wake_atom::value);
      serve_waiters(self);
      return rp;
    },
    [self](wake_atom) { serve_waiters(self); },
    [self](bound_atom, uint16_t port) { self->state.me.port = port; },
    [self](register_atom, std::string& name,
           caf::actor& handle) -> caf::result<void> {
      auto& st = self->state;
      auto i = st.registry.find(name);
      if (i != st.registry.end() && i->second.owner != st.me.name
          && i->second.owner < st.me.name)
        return make_error(errc::name_taken,
                          "\"" + name + "\" is registered by node "
                            + i->second.owner);
      st.registry[name] = registration{handle, st.me.name};
      self->monitor(handle);
      mirror_registry(self);
      for (auto& kvp : st.peers)
        if (kvp.second.info.agent && alive(kvp.second.info.state))
          self->send(kvp.second.info.agent, registry_atom::value, st.me.name,
                     name, handle);
      return caf::unit;
    },
    [self](registry_atom, std::string& owner, std::string& name,
           caf::actor& handle) {
      auto& reg = self->state.registry;
      auto i = reg.find(name);
      if (!handle) {
        if (i != reg.end() && i->second.owner == owner) {
          reg.erase(i);
          mirror_registry(self);
        }
        return;
      }
      // Conflicts resolve the same way on every node: the registration of
      // the node whose name sorts first wins.
      if (i == reg.end() || i->second.owner == owner || owner < i->second.owner) {
        reg[name] = registration{handle, owner};
        mirror_registry(self);
      }
    },
    [self](group_join_atom, const std::string& group, caf::actor& handle) {
      auto& st = self->state;
      st.groups[group].push_back(registration{handle, st.me.name});
      self->monitor(handle);
      for (auto& kvp : st.peers)
        if (kvp.second.info.agent && alive(kvp.second.info.state))
          self->send(kvp.second.info.agent, group_sync_atom::value, st.me.name,
                     group, handle, true);
      return caf::unit;
    },
    [self](group_sync_atom, const std::string& owner, const std::string& group,
           caf::actor& handle, bool joined) {
      auto& members = self->state.groups[group];
      std::erase_if(members, [&](auto& m) {
        return m.owner == owner && m.handle == handle;
      });
      if (joined && handle)
        members.push_back(registration{handle, owner});
    },
    [self](group_members_atom, const std::string& group) {
      std::vector<caf::actor> result;
      auto i = self->state.groups.find(group);
      if (i != self->state.groups.end())
        for (auto& m : i->second)
          result.push_back(m.handle);
      return result;
    },
    [self](whereis_atom, const std::string& name) -> caf::result<caf::actor> {
      auto& reg = self->state.registry;
      auto i = reg.find(name);
      if (i == reg.end())
        return make_error(errc::unknown_name, "\"" + name
                                                + "\" is not registered in the cluster");
      return i->second.handle;
    },
    [self](spawn_atom, const std::string& type,
           caf::message& args) -> caf::result<caf::actor> {
      auto& st = self->state;
      auto& allowed = st.settings.exported;
      if (std::find(allowed.begin(), allowed.end(), type) == allowed.end()) {
        auto& factories = self->system().config().actor_factories;
        return make_error(factories.count(type) ? errc::not_allowed
                                                : errc::unknown_actor_type,
                          "node " + st.me.name + " does not export \"" + type
                            + "\"");
      }
      auto res = self->system().spawn<caf::actor>(type, std::move(args));
      if (!res)
        return make_error(errc::bad_arguments,
                          "node " + st.me.name + " cannot spawn \"" + type
                            + "\" from these arguments: " + render(res.error()));
      self->monitor(*res);
      st.spawned.push_back(*res);
      return *res;
    },
    [self](stop_spawned_atom, caf::timespan grace) -> caf::result<void> {
      // Part of a node's orderly stop: the actors it hosts for others get
      // user_shutdown, then a kill after `grace`.
      auto& st = self->state;
      if (st.spawned.empty())
        return caf::unit;
      log::info("node", "stopping " + std::to_string(st.spawned.size())
                          + " actors spawned here by other nodes");
      for (auto& a : st.spawned)
        self->send_exit(a, caf::exit_reason::user_shutdown);
      auto rp = self->make_response_promise();
      st.awaiting_spawned_stop.push_back(rp);
      self->delayed_send(self, grace, stop_spawned_atom::value);
      return rp;
    },
    [self](stop_spawned_atom) {
      auto& st = self->state;
      if (self->current_sender() != self->ctrl() || st.spawned.empty())
        return;
      log::warning("node", std::to_string(st.spawned.size())
                             + " spawned actors did not stop in time; "
                               "killing them");
      for (auto& a : st.spawned)
        self->send_exit(a, caf::exit_reason::kill);
    },
    [self](subscribe_atom, caf::actor& sub) {
      self->monitor(sub);
      self->state.subscribers.push_back(sub);
      self->send(sub, member_event{member_event::member_up, current_me(self)});
      for (auto& kvp : self->state.peers)
        if (alive(kvp.second.info.state))
          self->send(sub, member_event{member_event::member_up, kvp.second.info});
    },
    [self](leave_atom) -> caf::result<void> {
      // Answered once every live peer confirmed that it knows: the process
      // stops right after, and CAF does not flush messages still queued for
      // a connection it closes.
      auto& st = self->state;
      st.me.state = member_state::leaving;
      std::vector<member_info> news{current_me(self)};
      auto pending = std::make_shared<size_t>(0);
      for (auto& kvp : st.peers)
        if (kvp.second.info.agent && alive(kvp.second.info.state))
          ++*pending;
      if (*pending == 0)
        return caf::unit;
      // Only now: a response promise takes the reply over, and a value
      // returned after making one is dropped (the caller would hang).
      auto rp = self->make_response_promise();
      auto done = [rp, pending]() mutable {
        if (--*pending == 0)
          rp.deliver(caf::unit);
      };
      for (auto& kvp : st.peers)
        if (kvp.second.info.agent && alive(kvp.second.info.state))
          self
            ->request(kvp.second.info.agent, std::chrono::seconds(2),
                      gossip_atom::value, news)
            .then([done]() mutable { done(); },
                  [done](caf::error&) mutable { done(); });
      return rp;
    },
    [self](tick_atom) {
      auto& st = self->state;
      auto now = steady::now();
      auto beat = current_me(self);
      for (auto& kvp : st.peers) {
        auto& p = kvp.second;
        if (!alive(p.info.state))
          continue;
        if (p.info.agent)
          self->send(p.info.agent, heartbeat_atom::value, beat);
        else
          connect(self, p.info.name);
        auto silent = now - p.last_seen;
        if (silent > st.settings.down_after)
          mark(self, p, member_state::down, "no heartbeat for "
                 + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(silent).count())
                 + " ms");
        else if (silent > st.settings.suspect_after
                 && p.info.state == member_state::up)
          mark(self, p, member_state::suspect, "heartbeats late");
        else if (silent <= st.settings.suspect_after
                 && p.info.state == member_state::suspect)
          p.info.state = member_state::up;
      }
      // Every few ticks, probe members marked down (see connect()).
      if (++st.ticks % 5 == 0)
        for (auto& kvp : st.peers)
          if (kvp.second.info.state == member_state::down)
            connect(self, kvp.first, true);
      serve_waiters(self);
      self->delayed_send(self, st.settings.heartbeat_interval, tick_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_agent(caf::actor_system& sys, member_info self,
                       agent_settings settings) {
  return sys.spawn(agent, std::move(self), settings);
}

} // namespace troupe::detail
