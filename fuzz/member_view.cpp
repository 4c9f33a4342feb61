// A list of members: a seed's reply to a join and a gossip message's
// changes, (gossip_atom, std::vector<member_info>).

#include <caf/atom.hpp>

#include "peer_context.hpp"
#include "troupe/member.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<caf::atom_value,
                              std::vector<troupe::member_info>>(data, size);
}
