// A peer's message to the replicated key-value store (actors/kv): the
// node's type set plus the store's (troupe::kv::add_types: entries, lists
// of entries, the coordinator's status, the "kv" error category), as a
// node of the kv demo decodes it.

#include "kv/kv_protocol.hpp"
#include "peer_context.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  troupe::fuzz::peer_context::add_types(&troupe::kv::add_types);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode_peer_message(data, size);
}
