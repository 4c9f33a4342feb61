#pragma once
// Publish/subscribe topics spanning the cluster.
//
// One cluster broker per node, with the local broker's protocol (broker.hpp):
//   (subscribe_atom, std::string topic, caf::actor subscriber)  [size_t n]
//       n: members (nodes) that had recorded the subscription when it was
//       confirmed, this one included; see "when a subscription counts".
//   (unsubscribe_atom, std::string topic, caf::actor subscriber) []
//   (publish_atom, std::string topic, caf::message payload)      [size_t n]
//       n: nodes with subscribers the message was sent to (0: nobody).
//       Subscribers receive (topic_atom, std::string topic, caf::message).
//   (count_atom, std::string topic)                              [size_t]
//       subscribers of the topic on this node.
// Every message may also be sent without waiting for the reply.
//
// Shape. Topic T is the process group "pubsub/T" (topic_group). Its members
// are topic relays, one per node with subscribers of T: the relay holds that
// node's subscribers and fans each message out to them. A broker spawns the
// relay with the first local subscriber and stops it with the last one, so
// the group holds exactly the nodes that want T: a relay that stops, or
// dies with its broker or node, leaves the group on every node (the node
// agents see to that). Publishing asks the local agent for the group's
// members and sends the message once to every relay.
//
// Ordering: the messages of one publisher on one topic reach every
// subscriber in publishing order, across nodes. Each hop is FIFO
// (publisher -> its broker -> a relay -> the subscriber), and the broker
// sends queued publishes of a topic in arrival order. Membership is read per
// batch: messages that arrive while a lookup is in flight wait for the next
// lookup, so a message is only ever sent to the members known after it
// arrived. A subscriber joining while a publisher runs gets a gap-free tail
// of that publisher's messages. Nothing is promised across topics or across
// publishers. Delivery is at most once: what is in the mailbox of a relay or
// broker that dies is lost.
//
// When a subscription counts: the reply to subscribe comes once the relay
// is in the group on this node and every other member that is up has
// answered a group query listing it. Those queries travel on the same
// connections as the agents' group updates, so an answer proves the update
// arrived first. Every message published on any of those nodes after the
// reply reaches the subscriber.
//
// Failures: a subscriber that terminates is removed (monitored), and its
// node's relay stops with the topic's last subscriber. A node that dies or
// leaves takes its relays out of every group. A broker ends when its node's
// agent ends; its relays end with it (linked). cluster_broker() then spawns
// a new broker; subscribers that watch their broker (monitor) subscribe
// again through the new one.

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "pubsub/broker.hpp"

namespace troupe::pubsub {

/// The process group of topic `topic`: "pubsub/<topic>".
std::string topic_group(const std::string& topic);

/// Spawns a cluster broker for the node whose agent is `agent`
/// (troupe::node::agent()). It ends when the agent ends.
caf::actor spawn_cluster_broker(caf::actor_system& sys, caf::actor agent);

/// This node's broker: the one registered in `sys`'s actor registry, or a
/// new one (spawned, registered) when there is none or it has ended. Safe to
/// call from any actor or thread; every caller gets the same broker.
caf::actor cluster_broker(caf::actor_system& sys, const caf::actor& agent);

/// The same for code that has only the actor system, e.g. an actor that
/// spawn_on started on this node: the agent is the one troupe::node keeps in
/// CAF's actor registry. errc::node_down if `sys` is not a running node's.
caf::expected<caf::actor> cluster_broker(caf::actor_system& sys);

} // namespace troupe::pubsub
