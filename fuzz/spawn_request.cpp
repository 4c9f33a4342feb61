// A remote spawn request to a member's agent: (spawn_atom, string type,
// caf::message args), the arguments a nested message of any registered type.

#include <caf/atom.hpp>
#include <caf/message.hpp>

#include "peer_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<caf::atom_value, std::string, caf::message>(data,
                                                                          size);
}
