#include "node/placement_state.hpp"

namespace troupe::detail {

std::vector<member_info>
placement_state::order(const placement& where,
                       const std::vector<member_info>& workers) {
  std::vector<member_info> result;
  if (workers.empty())
    return result;
  // least_loaded sees the reported load plus what this node placed since.
  auto loaded = workers;
  for (auto& m : loaded)
    m.actors += placed_since_heartbeat(m.name);
  auto first = where.pick(loaded, turn_++);
  result.reserve(workers.size());
  for (size_t i = 0; i < workers.size(); ++i)
    result.push_back(workers[(first + i) % workers.size()]);
  ++placed_[result.front().name];
  return result;
}

void placement_state::heard_from(const std::string& member) {
  placed_.erase(member);
}

uint64_t
placement_state::placed_since_heartbeat(const std::string& member) const {
  auto i = placed_.find(member);
  return i == placed_.end() ? 0 : i->second;
}

} // namespace troupe::detail
