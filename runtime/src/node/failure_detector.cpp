#include "node/failure_detector.hpp"

namespace troupe::detail {

std::vector<failure_detector::verdict>
failure_detector::check(const std::map<std::string, peer>& peers,
                        clock::time_point now) const {
  std::vector<verdict> result;
  for (auto& [name, p] : peers) {
    if (!membership::alive(p.info.state))
      continue;
    auto silent = now - p.last_seen;
    if (should_down(silent)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(silent);
      result.push_back(
          {name, member_state::down,
           "no heartbeat for " + std::to_string(ms.count()) + " ms"});
    } else if (silent > suspect_after_ && p.info.state == member_state::up) {
      result.push_back({name, member_state::suspect, "heartbeats late"});
    } else if (silent <= suspect_after_
               && p.info.state == member_state::suspect) {
      result.push_back({name, member_state::up, "heartbeats again"});
    }
  }
  return result;
}

} // namespace troupe::detail
