// A peer's gossip (gossip_atom, std::vector<member_info>) decoded as in
// member_view, then merged into a node's membership view
// (runtime/src/node/membership.hpp) as the agent merges it, checking the
// rules the view promises whatever a peer says:
// - this node's incarnation never goes down, and its state stays up;
// - a refuted rumour about this node is beaten by the new incarnation.

#include <cstdint>

#include <caf/atom.hpp>

#include "node/membership.hpp"
#include "peer_context.hpp"

namespace {

using troupe::member_info;
using troupe::member_state;

void check_merge(const std::vector<member_info>& changes) {
  member_info me;
  me.name = "n1"; // as in the seeds (fuzz_seeds.cpp)
  me.host = "127.0.0.1";
  me.port = 4001;
  me.incarnation = 1764633604001;
  troupe::detail::membership view{me};
  for (auto& m : changes) {
    auto before = view.me().incarnation;
    auto outcome = view.merge(m);
    if (view.me().incarnation < before)
      std::abort(); // this node went back to an older life
    if (view.me().state != member_state::up)
      std::abort(); // only this node decides it is not up
    if (outcome.refuted && view.me().incarnation <= m.incarnation)
      std::abort(); // the refutation does not beat the rumour
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return troupe::fuzz::decode<caf::atom_value, std::vector<member_info>>(
      data, size, [](auto& xs) { check_merge(std::get<1>(xs)); });
}
