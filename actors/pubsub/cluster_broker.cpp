#include "pubsub/cluster_broker.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/member.hpp"

namespace troupe::pubsub {

namespace {

/// Bound for the broker's and relays' requests to node agents: an agent
/// that does not answer within it is gone or hopelessly overloaded.
constexpr auto agent_timeout = std::chrono::seconds(10);

/// Bound for one member's answer while a subscription is confirmed: a frozen
/// member must not hold a subscriber longer than the failure detector would.
constexpr auto confirm_timeout = std::chrono::seconds(5);

/// Key of this node's broker in CAF's actor registry.
using registry_key_atom = caf::atom_constant<caf::atom("ps_broker")>;

/// The broker tells a relay to end (its topic has no local subscriber left).
using stop_relay_atom = caf::atom_constant<caf::atom("ps_rstop")>;

// -- relay: one topic's subscribers on one node, member of the topic group ----

struct relay_state {
  std::string topic;
  caf::actor agent;
  std::vector<caf::actor> subscribers;
  bool confirmed = false;
  size_t nodes = 1; // members that listed this relay, this node included
  std::vector<caf::typed_response_promise<size_t>> waiting;
  static inline const char* name = "troupe.pubsub.relay";
};

using relay_actor = caf::stateful_actor<relay_state>;

/// A promise for the current message if it is a request; an invalid one
/// (delivering is a no-op) otherwise. CAF would send the reply to an
/// asynchronous message back as an unexpected asynchronous message.
template <class Self>
caf::typed_response_promise<size_t> promise_if_request(Self* self) {
  if (self->current_mailbox_element()->mid.is_request())
    return self->template make_response_promise<size_t>();
  return {};
}

void confirmed(relay_actor* self) {
  auto& st = self->state;
  st.confirmed = true;
  for (auto& rp : st.waiting)
    rp.deliver(st.nodes);
  st.waiting.clear();
}

/// Asks every other member that is up for the topic's group. The agents'
/// group updates and these queries share each connection (FIFO), so an
/// answer that lists this relay proves every later publish there sees it.
void confirm(relay_actor* self) {
  self->request(self->state.agent, agent_timeout, members_atom::value)
    .then(
      [self](std::vector<member_info>& view) {
        auto& st = self->state;
        auto pending = std::make_shared<size_t>(0);
        std::vector<caf::actor> peers;
        for (auto& m : view)
          if (m.agent && m.agent != st.agent
              && (m.state == member_state::up
                  || m.state == member_state::suspect))
            peers.push_back(m.agent);
        if (peers.empty()) {
          confirmed(self);
          return;
        }
        *pending = peers.size();
        auto me = self->address();
        for (auto& peer : peers)
          self
            ->request(peer, confirm_timeout, group_members_atom::value,
                      topic_group(st.topic))
            .then(
              [self, pending, me](std::vector<caf::actor>& xs) {
                if (std::any_of(xs.begin(), xs.end(),
                                [&](auto& x) { return x.address() == me; }))
                  ++self->state.nodes;
                if (--*pending == 0)
                  confirmed(self);
              },
              [self, pending](caf::error&) {
                // A member that died or froze meanwhile publishes nothing.
                if (--*pending == 0)
                  confirmed(self);
              });
      },
      [self](caf::error& err) { self->quit(std::move(err)); });
}

caf::behavior relay(relay_actor* self, std::string topic, caf::actor agent) {
  auto& st = self->state;
  st.topic = std::move(topic);
  st.agent = std::move(agent);
  // Without the group the relay is useless: failing to join ends it, and
  // through the link its broker, which is then replaced on next use.
  self
    ->request(st.agent, agent_timeout, group_join_atom::value,
              topic_group(st.topic), caf::actor_cast<caf::actor>(self))
    .then([self] { confirm(self); },
          [self](caf::error& err) { self->quit(std::move(err)); });
  return {
    [self](subscribe_atom, const std::string&,
           caf::actor& sub) -> caf::result<size_t> {
      auto& st = self->state;
      if (std::find(st.subscribers.begin(), st.subscribers.end(), sub)
          == st.subscribers.end())
        st.subscribers.push_back(std::move(sub));
      auto rp = promise_if_request(self);
      if (st.confirmed)
        rp.deliver(st.nodes);
      else if (rp.pending())
        st.waiting.push_back(rp);
      return rp;
    },
    [self](unsubscribe_atom, const std::string&, const caf::actor& sub) {
      auto& subs = self->state.subscribers;
      subs.erase(std::remove(subs.begin(), subs.end(), sub), subs.end());
    },
    [self](topic_atom, const std::string& topic, const caf::message& payload) {
      for (auto& sub : self->state.subscribers)
        self->send(sub, topic_atom::value, topic, payload);
    },
    [self](stop_relay_atom) { self->quit(); },
  };
}

// -- broker: this node's entry point --------------------------------------------

struct local_topic {
  caf::actor relay;
  std::set<caf::actor> subscribers;
};

/// Publishes of one topic waiting for a membership lookup.
struct outbox {
  using entry = std::pair<caf::message, caf::typed_response_promise<size_t>>;
  std::vector<entry> queued;
  bool looking_up = false;
};

struct cluster_broker_state {
  caf::actor agent;
  std::map<std::string, local_topic> topics;
  std::map<std::string, outbox> outboxes;
  static inline const char* name = "troupe.pubsub.cluster_broker";
};

using broker_actor = caf::stateful_actor<cluster_broker_state>;

void remove_subscriber(broker_actor* self, const std::string& topic,
                       const caf::actor& sub) {
  auto& topics = self->state.topics;
  auto i = topics.find(topic);
  if (i == topics.end() || i->second.subscribers.erase(sub) == 0)
    return;
  if (i->second.subscribers.empty()) {
    // The relay's end takes this node out of the topic's group everywhere.
    self->send(i->second.relay, stop_relay_atom::value);
    topics.erase(i);
  } else {
    self->send(i->second.relay, unsubscribe_atom::value, topic, sub);
  }
}

/// Sends the topic's queued publishes to the members of its group, as this
/// node's agent knows them after the publishes arrived (see the header).
void flush(broker_actor* self, const std::string& topic) {
  auto& box = self->state.outboxes[topic];
  box.looking_up = true;
  auto batch = std::make_shared<std::vector<outbox::entry>>();
  batch->swap(box.queued);
  auto next = [self, topic] {
    auto& boxes = self->state.outboxes;
    auto i = boxes.find(topic);
    i->second.looking_up = false;
    if (i->second.queued.empty())
      boxes.erase(i);
    else
      flush(self, topic);
  };
  self
    ->request(self->state.agent, agent_timeout, group_members_atom::value,
              topic_group(topic))
    .then(
      [self, topic, batch, next](std::vector<caf::actor>& members) {
        for (auto& [payload, rp] : *batch) {
          for (auto& m : members)
            self->send(m, topic_atom::value, topic, payload);
          rp.deliver(members.size());
        }
        next();
      },
      [batch, next](caf::error& err) {
        for (auto& entry : *batch)
          entry.second.deliver(err);
        next();
      });
}

caf::behavior cluster_broker_fn(broker_actor* self, caf::actor agent) {
  self->state.agent = std::move(agent);
  self->monitor(self->state.agent);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.agent.address()) {
      // The node is stopping (or its agent crashed): the groups are gone.
      // A reason other than normal also ends the linked relays.
      self->quit(caf::exit_reason::user_shutdown);
      return;
    }
    std::vector<std::pair<std::string, caf::actor>> gone;
    for (auto& [topic, local] : st.topics)
      for (auto& sub : local.subscribers)
        if (sub.address() == dm.source)
          gone.emplace_back(topic, sub);
    for (auto& [topic, sub] : gone)
      remove_subscriber(self, topic, sub);
  });
  return {
    [self](subscribe_atom, const std::string& topic,
           caf::actor& sub) -> caf::result<size_t> {
      if (!sub)
        return size_t{0};
      auto& local = self->state.topics[topic];
      if (!local.relay)
        local.relay = self->spawn<caf::linked>(relay, topic, self->state.agent);
      if (local.subscribers.insert(sub).second)
        self->monitor(sub); // one down_msg per subscription; extras are harmless
      // The relay answers once the subscription is confirmed.
      auto rp = self->make_response_promise();
      rp.delegate(local.relay, subscribe_atom::value, topic, std::move(sub));
      return rp;
    },
    [self](unsubscribe_atom, const std::string& topic, const caf::actor& sub) {
      remove_subscriber(self, topic, sub);
    },
    [self](publish_atom, const std::string& topic,
           caf::message& payload) -> caf::result<size_t> {
      auto rp = promise_if_request(self);
      auto& box = self->state.outboxes[topic];
      box.queued.emplace_back(std::move(payload), rp);
      if (!box.looking_up)
        flush(self, topic);
      return rp;
    },
    [self](count_atom, const std::string& topic) {
      auto i = self->state.topics.find(topic);
      return i == self->state.topics.end() ? size_t{0}
                                           : i->second.subscribers.size();
    },
  };
}

/// Guards get-or-spawn on the registry. Recursive: the clean-up functor runs
/// at once, inside attach_functor, if the broker has already ended.
std::recursive_mutex registry_mtx;

} // namespace

std::string topic_group(const std::string& topic) {
  return "pubsub/" + topic;
}

caf::actor spawn_cluster_broker(caf::actor_system& sys, caf::actor agent) {
  return sys.spawn(cluster_broker_fn, std::move(agent));
}

caf::actor cluster_broker(caf::actor_system& sys, const caf::actor& agent) {
  std::lock_guard<std::recursive_mutex> guard{registry_mtx};
  auto& reg = sys.registry();
  auto current = reg.get<caf::actor>(registry_key_atom::value);
  // An ended broker stays registered until its clean-up functor ran, which
  // is after its monitors were told: a caller reacting to that down_msg must
  // not get the old broker back.
  if (current
      && !caf::actor_cast<caf::abstract_actor*>(current)->getf(
        caf::abstract_actor::is_terminated_flag))
    return current;
  auto result = spawn_cluster_broker(sys, agent);
  reg.put(registry_key_atom::value, result);
  auto* sys_ptr = &sys;
  auto addr = result.address();
  caf::actor_cast<caf::abstract_actor*>(result)->attach_functor([sys_ptr, addr] {
    std::lock_guard<std::recursive_mutex> guard{registry_mtx};
    auto& reg = sys_ptr->registry();
    auto registered = reg.get<caf::actor>(registry_key_atom::value);
    if (registered && registered.address() == addr)
      reg.erase(registry_key_atom::value);
  });
  return result;
}

caf::expected<caf::actor> cluster_broker(caf::actor_system& sys) {
  auto agent = sys.registry().get<caf::actor>(node_agent_atom::value);
  if (!agent)
    return make_error(errc::node_down,
                      "no troupe node runs in this actor system (no agent in "
                      "its registry): start one with troupe::node::start");
  return cluster_broker(sys, agent);
}

} // namespace troupe::pubsub
