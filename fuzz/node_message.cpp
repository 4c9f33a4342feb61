// A message from a peer node as CAF's BASP broker decodes it, with the type
// set of `troupe node` (troupe::system::prepare, troupe::add_node_types):
// every message of the agents' peer protocol (runtime/src/node/
// agent_protocol.hpp) and of the node's interface arrives this way.

#include "peer_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode_peer_message(data, size);
}
