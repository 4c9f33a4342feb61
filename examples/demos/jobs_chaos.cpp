#include "jobs_chaos.hpp"

#include <signal.h>

#include <algorithm>

namespace troupe::demo::jobs {

void chaos_monkey::step(const std::vector<member_info>& up,
                        progress_line& progress) {
  if (!on())
    return;
  auto now = clock::now();
  if (now >= next_kill_) {
    kill_busiest(up, progress, now);
    next_kill_ = now + every_;
  }
  for (auto i = down_.begin(); i != down_.end();) {
    if (now < i->back_at) {
      ++i;
      continue;
    }
    restart(i->index, progress);
    i = down_.erase(i);
  }
}

void chaos_monkey::heal() {
  for (auto& d : down_)
    local_->restart(d.index);
  down_.clear();
}

void chaos_monkey::kill_busiest(const std::vector<member_info>& up,
                                progress_line& progress,
                                clock::time_point now) {
  std::vector<std::pair<uint64_t, size_t>> alive; // actors, node index
  for (size_t i = 0; i < local_->nodes().size(); ++i) {
    if (local_->nodes()[i].pid <= 0)
      continue;
    uint64_t actors = 0;
    for (auto& m : up)
      if (m.name == local_->nodes()[i].name)
        actors = m.actors;
    alive.emplace_back(actors, i);
  }
  if (alive.size() <= 1)
    return;
  // Ties (e.g. all equal) are broken at random.
  std::shuffle(alive.begin(), alive.end(), rng_);
  auto victim = std::max_element(alive.begin(), alive.end(),
                                 [](auto& a, auto& b) {
                                   return a.first < b.first;
                                 })
                  ->second;
  auto& node = local_->nodes()[victim];
  progress.note("chaos: SIGKILL " + node.name + " (pid "
                + std::to_string(node.pid) + ")");
  local_->signal(victim, SIGKILL);
  ++kills_;
  down_.push_back({victim, now + down_for_});
}

void chaos_monkey::restart(size_t index, progress_line& progress) {
  auto& node = local_->nodes()[index];
  if (auto err = local_->restart(index))
    progress.note("chaos: restarting " + node.name + " failed: " + *err);
  else
    progress.note("chaos: " + node.name + " is back on " + node.address());
}

} // namespace troupe::demo::jobs
