// A join request: (join_atom, member_info joiner, uint64_t type_set_id).

#include <caf/atom.hpp>

#include "peer_context.hpp"
#include "troupe/member.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<caf::atom_value, troupe::member_info, uint64_t>(
      data, size);
}
