// A message from a peer node as CAF's BASP broker decodes the payload of a
// dispatch_message (caf/io/basp/remote_message_handler.hpp): the forwarding
// stack, then a caf::message whose elements may be any type a troupe node
// registers (troupe::system::prepare, troupe::add_node_types). Every message
// of the agents' peer protocol (runtime/src/node/agent_protocol.hpp) and of
// the node's local interface arrives this way.

#include <caf/message.hpp>

#include "peer_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<std::vector<caf::strong_actor_ptr>, caf::message>(data,
                                                                              size);
}
