#pragma once
// A topic relay (topic_relay.cpp): one topic's subscribers on one node, the
// node's member of the topic's process group. Internal to the cluster broker,
// which spawns one per topic with local subscribers.
//
//   (subscribe_atom, std::string topic, caf::actor sub)  [size_t nodes]
//   (unsubscribe_atom, std::string topic, caf::actor sub)
//   (topic_atom, std::string topic, caf::message payload)   from the broker
//   (link_deliver_atom, ...)                                 from other nodes
//   (stop_relay_atom)                                        from the broker

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>

namespace troupe::pubsub::detail {

/// Bound for the broker's and relays' requests to node agents: an agent
/// that does not answer within it is gone or hopelessly overloaded.
constexpr auto agent_timeout = std::chrono::seconds(10);

/// The broker tells a relay to end (its topic has no local subscriber left).
using stop_relay_atom = caf::atom_constant<caf::atom("ps_rstop")>;

/// A promise for the current message if it is a request; an invalid one
/// (delivering is a no-op) otherwise. CAF would send the reply to an
/// asynchronous message back as an unexpected asynchronous message.
template <class Self>
caf::typed_response_promise<size_t> promise_if_request(Self* self) {
  if (self->current_mailbox_element()->mid.is_request())
    return self->template make_response_promise<size_t>();
  return {};
}

/// Spawns the relay of `topic`, linked to `broker` (its end ends the
/// broker, which is then replaced on next use); `agent` is this node's agent.
caf::actor spawn_topic_relay(caf::local_actor* broker, std::string topic,
                             caf::actor agent);

} // namespace troupe::pubsub::detail
