#include "pubsub/cluster_broker.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "pubsub/links.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/member.hpp"

namespace troupe::pubsub {

namespace {

/// Bound for the broker's and relays' requests to node agents: an agent
/// that does not answer within it is gone or hopelessly overloaded.
constexpr auto agent_timeout = std::chrono::seconds(10);

/// How long a relay tries to get its subscription confirmed by every member
/// that is up; a member that cannot confirm by then (frozen, or its
/// replies are lost) is left out of the count the subscriber gets.
constexpr auto confirm_deadline = std::chrono::seconds(10);

/// Bound for one member's answer; a lost answer is asked again.
constexpr auto confirm_timeout = std::chrono::seconds(1);

/// Pause before asking again the members that have not confirmed yet
/// (not connected yet, or their group update is still on its way).
constexpr auto confirm_retry = std::chrono::milliseconds(100);

/// Key of this node's broker in CAF's actor registry.
using registry_key_atom = caf::atom_constant<caf::atom("ps_broker")>;

/// The broker tells a relay to end (its topic has no local subscriber left).
using stop_relay_atom = caf::atom_constant<caf::atom("ps_rstop")>;

/// Timers: a relay's confirmation rounds and acknowledgements, a broker's
/// resends.
using confirm_tick_atom = caf::atom_constant<caf::atom("ps_conft")>;
using ack_tick_atom = caf::atom_constant<caf::atom("ps_ackt")>;
using resend_tick_atom = caf::atom_constant<caf::atom("ps_resend")>;

/// A relay acknowledges at most this long after a message arrived: cheap
/// (one message per link and interval) and far below resend_after.
constexpr auto ack_interval = std::chrono::milliseconds(20);

/// Unacknowledged for this long: sent again. Well above a loaded machine's
/// acknowledgement delay, so that resends stay rare when nothing was lost.
constexpr auto resend_after = std::chrono::milliseconds(500);

/// A link without any acknowledgement for this long: check (with the agent)
/// whether its relay is still in the topic's group.
constexpr auto stalled_after = std::chrono::seconds(3);

// -- relay: one topic's subscribers on one node, member of the topic group ----

struct relay_state {
  std::string topic;
  caf::actor agent;
  std::vector<caf::actor> subscribers;
  bool confirmed = false;
  std::set<std::string> confirmed_by; // members that listed this relay
  std::chrono::steady_clock::time_point confirm_until;
  bool retry_needed = false; // in this round, a member did not confirm
  std::vector<caf::typed_response_promise<size_t>> waiting;
  detail::incoming_links links;
  bool ack_scheduled = false;
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

size_t nodes(relay_actor* self) {
  return self->state.confirmed_by.size() + 1; // this node included
}

void confirmed(relay_actor* self) {
  auto& st = self->state;
  st.confirmed = true;
  for (auto& rp : st.waiting)
    rp.deliver(nodes(self));
  st.waiting.clear();
}

/// One round: asks every other member that is up and has not listed this
/// relay yet for the topic's group. The agents' group updates and these
/// queries share each connection (FIFO), so an answer that lists this relay
/// proves every later publish there sees it. Members not connected yet, or
/// whose answer was lost or did not list the relay yet, are asked again in
/// the next round, until all confirmed or the deadline passed.
void confirm(relay_actor* self) {
  self->request(self->state.agent, agent_timeout, members_atom::value)
    .then(
      [self](std::vector<member_info>& view) {
        auto& st = self->state;
        std::vector<member_info> ask;
        bool unreachable = false;
        for (auto& m : view) {
          if (m.agent == st.agent || st.confirmed_by.count(m.name) > 0
              || (m.state != member_state::up
                  && m.state != member_state::suspect))
            continue;
          if (m.agent)
            ask.push_back(std::move(m));
          else
            unreachable = true; // this node has not connected to it yet
        }
        auto pending = std::make_shared<size_t>(ask.size());
        auto round_done = [self, unreachable] {
          auto& st = self->state;
          if (!unreachable && !st.retry_needed) {
            confirmed(self);
            return;
          }
          st.retry_needed = false;
          if (std::chrono::steady_clock::now() >= st.confirm_until)
            confirmed(self); // with those that could confirm
          else
            self->delayed_send(self, confirm_retry, confirm_tick_atom::value);
        };
        if (ask.empty()) {
          round_done();
          return;
        }
        auto me = self->address();
        for (auto& m : ask)
          self
            ->request(m.agent, confirm_timeout, group_members_atom::value,
                      topic_group(st.topic))
            .then(
              [self, pending, me, name = m.name,
               round_done](std::vector<caf::actor>& xs) {
                if (std::any_of(xs.begin(), xs.end(),
                                [&](auto& x) { return x.address() == me; }))
                  self->state.confirmed_by.insert(name);
                else
                  self->state.retry_needed = true;
                if (--*pending == 0)
                  round_done();
              },
              [self, pending, round_done](caf::error&) {
                // Lost, or the member died or froze: ask again next round.
                self->state.retry_needed = true;
                if (--*pending == 0)
                  round_done();
              });
      },
      [self](caf::error& err) { self->quit(std::move(err)); });
}

void fan_out(relay_actor* self, const std::string& topic,
             const caf::message& payload) {
  for (auto& sub : self->state.subscribers)
    self->send(sub, topic_atom::value, topic, payload);
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
    .then(
      [self] {
        self->state.confirm_until = std::chrono::steady_clock::now()
                                    + confirm_deadline;
        confirm(self);
      },
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
        rp.deliver(nodes(self));
      else if (rp.pending())
        st.waiting.push_back(rp);
      return rp;
    },
    [self](unsubscribe_atom, const std::string&, const caf::actor& sub) {
      auto& subs = self->state.subscribers;
      subs.erase(std::remove(subs.begin(), subs.end(), sub), subs.end());
    },
    [self](topic_atom, const std::string& topic, const caf::message& payload) {
      // From this node's broker: the hop is local and cannot lose anything.
      fan_out(self, topic, payload);
    },
    [self](detail::link_deliver_atom, const std::string& topic,
           const caf::message& payload, const caf::actor& broker,
           uint64_t epoch, uint64_t seq) {
      auto& st = self->state;
      st.links.receive(broker, epoch, seq, topic, payload,
                       [self](const std::string& t, const caf::message& x) {
                         fan_out(self, t, x);
                       });
      if (!st.ack_scheduled) {
        st.ack_scheduled = true;
        self->delayed_send(self, ack_interval, ack_tick_atom::value);
      }
    },
    [self](confirm_tick_atom) { confirm(self); },
    [self](ack_tick_atom) {
      self->state.ack_scheduled = false;
      self->state.links.send_acks(self);
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
  // Not an aggregate: CAF 0.17 constructs a state from the actor's own
  // pointer when it can, and C++20 lets an aggregate take that pointer as its
  // first member (here a caf::actor that would start as the actor itself).
  cluster_broker_state() = default;
  caf::actor agent;
  std::map<std::string, local_topic> topics;
  std::map<std::string, outbox> outboxes;
  detail::outgoing_links links; // to relays on other nodes
  bool resend_scheduled = false;
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

void schedule_resend(broker_actor* self) {
  auto& st = self->state;
  if (st.resend_scheduled || !st.links.pending())
    return;
  st.resend_scheduled = true;
  self->delayed_send(self, resend_after, resend_tick_atom::value);
}

/// Drops the links of `topic` whose relays left its group.
void prune(broker_actor* self, const std::string& topic) {
  self
    ->request(self->state.agent, agent_timeout, group_members_atom::value,
              topic_group(topic))
    .then(
      [self, topic](std::vector<caf::actor>& members) {
        self->state.links.retain(topic, members);
      },
      [](caf::error&) {});
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
        auto& st = self->state;
        st.links.retain(topic, members);
        for (auto& [payload, rp] : *batch) {
          for (auto& m : members)
            if (m.node() == self->node())
              self->send(m, topic_atom::value, topic, payload);
            else
              st.links.send(self, m, topic, payload);
          rp.deliver(members.size());
        }
        schedule_resend(self);
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
    [self](detail::link_ack_atom, const caf::actor& relay, uint64_t epoch,
           uint64_t seq) { self->state.links.ack(relay.address(), epoch, seq); },
    [self](resend_tick_atom) {
      auto& st = self->state;
      st.resend_scheduled = false;
      st.links.resend(self, resend_after);
      for (auto& topic : st.links.stalled(stalled_after))
        prune(self, topic);
      schedule_resend(self);
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
