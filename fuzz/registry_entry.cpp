// A cluster registry update: (registry_atom, string owner, string name,
// actor handle), a null handle meaning withdrawn.

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include "peer_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<caf::atom_value, std::string, std::string,
                              caf::actor>(data, size);
}
