// One troupe::member_info (troupe/member.hpp), as heartbeats carry it
// (heartbeat_atom, member_info) and join requests start with it.

#include "peer_context.hpp"
#include "troupe/member.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<troupe::member_info>(data, size);
}
