#include "node/failure_detector.hpp"

#include <algorithm>

namespace troupe::detail {

namespace {

std::string ms_text(std::chrono::steady_clock::duration d) {
  return std::to_string(
           std::chrono::duration_cast<std::chrono::milliseconds>(d).count())
         + " ms";
}

} // namespace

bool failure_detector::should_down(const peer& p, clock::time_point now) const {
  return p.info.state == member_state::suspect && p.probes_failed
         && now - p.last_seen > down_after_
         && now - p.since >= suspect_timeout_;
}

std::vector<failure_detector::verdict>
failure_detector::check(const std::map<std::string, peer>& peers,
                        clock::time_point now) const {
  std::vector<verdict> result;
  for (auto& [name, p] : peers) {
    if (!membership::alive(p.info.state))
      continue;
    auto silent = now - p.last_seen;
    if (p.info.state != member_state::suspect) {
      if (silent > suspect_after_)
        result.push_back({name, member_state::suspect,
                          "no heartbeat for " + ms_text(silent)});
    } else if (silent <= suspect_after_) {
      result.push_back({name, member_state::up, "heard from again"});
    } else if (should_down(p, now)) {
      result.push_back(
        {name, member_state::down,
         "no heartbeat for " + ms_text(silent) + ", suspected for "
           + ms_text(now - p.since) + ", unanswered probes (directly and "
           + "through " + std::to_string(p.probe_helpers) + " other members)"});
    }
  }
  return result;
}

failure_detector::clock::duration
failure_detector::excuse_pause(std::map<std::string, peer>& peers,
                               clock::time_point due,
                               clock::time_point now) const {
  auto late = now - due;
  if (late <= suspect_after_)
    return clock::duration::zero();
  for (auto& [name, p] : peers)
    if (membership::alive(p.info.state))
      p.last_seen = std::max(p.last_seen, now);
  return late;
}

} // namespace troupe::detail
