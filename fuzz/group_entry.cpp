// A process group update: (group_sync_atom, string owner, string group,
// actor handle, bool joined).

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include "peer_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<caf::atom_value, std::string, std::string,
                              caf::actor, bool>(data, size);
}
