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
#include "pubsub/topic_relay.hpp"
#include "troupe/atoms.hpp"
#include "troupe/cluster_agent.hpp"
#include "troupe/errc.hpp"
#include "troupe/member.hpp"

namespace troupe::pubsub {

namespace {

using detail::agent_timeout;
using detail::promise_if_request;
using detail::stop_relay_atom;

/// Key of this node's broker in CAF's actor registry.
using registry_key_atom = caf::atom_constant<caf::atom("ps_broker")>;

/// Timer of the broker's resends.
using resend_tick_atom = caf::atom_constant<caf::atom("ps_resend")>;

/// Unacknowledged for this long: sent again. Well above a loaded machine's
/// acknowledgement delay, so that resends stay rare when nothing was lost.
constexpr auto resend_after = std::chrono::milliseconds(500);

/// A link without any acknowledgement for this long: check (with the agent)
/// whether its relay is still in the topic's group.
constexpr auto stalled_after = std::chrono::seconds(3);

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
  cluster_api::group_members(self, self->state.agent, topic_group(topic),
                         agent_timeout)
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
  cluster_api::group_members(self, self->state.agent, topic_group(topic),
                         agent_timeout)
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
        local.relay = detail::spawn_topic_relay(self, topic, self->state.agent);
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
  auto agent = local_agent(sys);
  if (!agent)
    return make_error(errc::node_down,
                      "no troupe node runs in this actor system: start one "
                      "with troupe::node::start");
  return cluster_broker(sys, agent);
}

} // namespace troupe::pubsub
