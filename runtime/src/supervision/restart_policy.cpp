#include "supervision/restart_policy.hpp"

#include <algorithm>

#include <caf/exit_reason.hpp>

namespace troupe::supervision {

restart_window::restart_window(int intensity, caf::timespan period)
  : intensity_(static_cast<size_t>(std::max(intensity, 0))), period_(period) {
  // nop
}

bool restart_window::note_restart(clock::time_point now) {
  restarts_.push_back(now);
  while (now - restarts_.front() > period_)
    restarts_.pop_front();
  return restarts_.size() <= intensity_;
}

bool is_normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal
         || reason == caf::exit_reason::user_shutdown;
}

bool should_restart(restart type, const caf::error& reason) {
  switch (type) {
    case restart::permanent:
      return true;
    case restart::transient:
      return !is_normal_exit(reason);
    case restart::temporary:
      return false;
  }
  return false;
}

restart_plan plan(restart_strategy strategy,
                  const std::vector<std::string>& running, size_t failed) {
  // The siblings that go down with the failed child: the ones in
  // [first, end) of the start order, the failed child itself excepted.
  size_t first = running.size();
  switch (strategy) {
    case restart_strategy::one_for_one:
    case restart_strategy::simple_one_for_one:
      break; // only the failed child
    case restart_strategy::one_for_all:
      first = 0;
      break;
    case restart_strategy::rest_for_one:
      first = failed;
      break;
  }
  restart_plan result;
  for (size_t i = running.size(); i-- > first;)
    if (i != failed)
      result.stop.push_back(running[i]);
  for (size_t i = std::min(first, failed); i < running.size(); ++i)
    if (i == failed || i >= first)
      result.restart.push_back(running[i]);
  return result;
}

} // namespace troupe::supervision
