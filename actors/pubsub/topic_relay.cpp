// A topic relay: one topic's subscribers on one node, and the node's member
// of the topic's process group. Publishers on every node send to the relays
// in the group (over links that acknowledge and resend, links.hpp); the
// relay fans each message out to its local subscribers. It answers a
// subscription once every other member that is up has confirmed that it
// lists the relay in the group, so a publish there after the answer reaches
// the new subscriber.

#include "pubsub/topic_relay.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include <caf/all.hpp>

#include "pubsub/cluster_broker.hpp"
#include "pubsub/links.hpp"
#include "troupe/cluster_agent.hpp"
#include "troupe/metrics.hpp"
#include "troupe/member.hpp"

namespace troupe::pubsub::detail {

namespace {

/// How long a relay tries to get its subscription confirmed by every member
/// that is up; a member that cannot confirm by then (frozen, or its
/// replies are lost) is left out of the count the subscriber gets.
constexpr auto confirm_deadline = std::chrono::seconds(10);

/// Bound for one member's answer; a lost answer is asked again.
constexpr auto confirm_timeout = std::chrono::seconds(1);

/// Pause before asking again the members that have not confirmed yet
/// (not connected yet, or their group update is still on its way).
constexpr auto confirm_retry = std::chrono::milliseconds(100);

/// A relay acknowledges at most this long after a message arrived: cheap
/// (one message per link and interval) and far below the broker's
/// resend_after.
constexpr auto ack_interval = std::chrono::milliseconds(20);

/// Timers: a relay's confirmation rounds and acknowledgements.
using confirm_tick_atom = caf::atom_constant<caf::atom("ps_conft")>;
using ack_tick_atom = caf::atom_constant<caf::atom("ps_ackt")>;

struct relay_state {
  std::string topic;
  caf::actor agent;
  std::vector<caf::actor> subscribers;
  bool confirmed = false;
  std::set<std::string> confirmed_by; // members that listed this relay
  std::chrono::steady_clock::time_point confirm_until;
  bool retry_needed = false; // in this round, a member did not confirm
  std::vector<caf::typed_response_promise<size_t>> waiting;
  incoming_links links;
  bool ack_scheduled = false;
  static inline const char* name = "troupe.pubsub.relay";
};

using relay_actor = caf::stateful_actor<relay_state>;

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
  cluster_api::members(self, self->state.agent, agent_timeout)
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
                self->delayed_send(self, confirm_retry,
                                   confirm_tick_atom::value);
            };
            if (ask.empty()) {
              round_done();
              return;
            }
            auto me = self->address();
            for (auto& m : ask)
              cluster_api::group_members(self, m.agent, topic_group(st.topic),
                                         confirm_timeout)
                  .then(
                      [self, pending, me, name = m.name,
                       round_done](std::vector<caf::actor>& xs) {
                        if (std::any_of(xs.begin(), xs.end(), [&](auto& x) {
                              return x.address() == me;
                            }))
                          self->state.confirmed_by.insert(name);
                        else
                          self->state.retry_needed = true;
                        if (--*pending == 0)
                          round_done();
                      },
                      [self, pending, round_done](caf::error&) {
                        // Lost, or the member died or froze: ask again next
                        // round.
                        self->state.retry_needed = true;
                        if (--*pending == 0)
                          round_done();
                      });
          },
          [self](caf::error& err) { self->quit(std::move(err)); });
}

void fan_out(relay_actor* self, const std::string& topic,
             const caf::message& payload) {
  static auto& delivered = metrics::get_counter(
    "troupe_pubsub_deliveries_total",
    "messages handed to local subscribers of a topic", {{"broker", "cluster"}});
  for (auto& sub : self->state.subscribers)
    self->send(sub, topic_atom::value, topic, payload);
  delivered.add(self->state.subscribers.size());
}

caf::behavior topic_relay(relay_actor* self, std::string topic,
                          caf::actor agent) {
  auto& st = self->state;
  st.topic = std::move(topic);
  st.agent = std::move(agent);
  // Without the group the relay is useless: failing to join ends it, and
  // through the link its broker, which is then replaced on next use.
  cluster_api::group_join(self, st.agent, topic_group(st.topic),
                          caf::actor_cast<caf::actor>(self), agent_timeout)
      .then(
          [self] {
            self->state.confirm_until
                = std::chrono::steady_clock::now() + confirm_deadline;
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
      [self](topic_atom, const std::string& topic,
             const caf::message& payload) {
        // From this node's broker: the hop is local and cannot lose anything.
        fan_out(self, topic, payload);
      },
      [self](link_deliver_atom, const std::string& topic,
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

} // namespace

caf::actor spawn_topic_relay(caf::local_actor* broker, std::string topic,
                             caf::actor agent) {
  return broker->spawn<caf::linked>(topic_relay, std::move(topic),
                                    std::move(agent));
}

} // namespace troupe::pubsub::detail
