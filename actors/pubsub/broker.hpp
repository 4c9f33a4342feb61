#pragma once
// Publish/subscribe topics on one node.
//
// A broker actor keeps, per topic, the set of subscribed actors:
//   (subscribe_atom, std::string topic, caf::actor subscriber)    []
//   (unsubscribe_atom, std::string topic, caf::actor subscriber)  []
//   (publish_atom, std::string topic, caf::message payload)       [size_t n]
//       delivers (topic_atom, std::string topic, caf::message payload) to
//       each of the n current subscribers.
//   (count_atom, std::string topic)                               [size_t]
// Ordering: messages of one publisher reach every subscriber in the order
// they were published (the broker handles them in mailbox order and CAF keeps
// FIFO order between two actors). Nothing is promised across publishers.
// A subscriber that terminates is removed from all topics (monitored).
//
// Across nodes: cluster_broker.hpp, with the same protocol (one broker per
// node; a topic is the process group "pubsub/<topic>" of the nodes with
// subscribers; a publish travels once to each of them and fans out there).

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

namespace troupe::pubsub {

using subscribe_atom = caf::atom_constant<caf::atom("ps_sub")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("ps_unsub")>;
using publish_atom = caf::atom_constant<caf::atom("ps_pub")>;
using topic_atom = caf::atom_constant<caf::atom("ps_topic")>;
using count_atom = caf::atom_constant<caf::atom("ps_count")>;

/// Spawns a local topic broker.
caf::actor spawn_broker(caf::actor_system& sys);

} // namespace troupe::pubsub
