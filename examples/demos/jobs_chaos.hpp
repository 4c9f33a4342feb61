#pragma once
// The chaos monkey of `troupe demo jobs`.

#include <chrono>
#include <random>
#include <vector>

#include <troupe/member.hpp>

#include "demos/demo_cluster.hpp"
#include "tools/local_cluster.hpp"

namespace troupe::demo::jobs {

/// SIGKILLs the live worker node that hosts the most actors (the workers'
/// node, as its heartbeats report), never the last one, every `every_ms`;
/// starts each killed node again `down_ms` later. Off without an embedded
/// cluster or with `every_ms` 0.
class chaos_monkey {
public:
  using clock = std::chrono::steady_clock;

  chaos_monkey(tools::local_cluster* local, int every_ms, int down_ms)
    : local_(local), every_(every_ms), down_for_(down_ms),
      next_kill_(clock::now() + every_) {
  }

  bool on() const {
    return local_ && every_.count() > 0;
  }

  int kills() const {
    return kills_;
  }

  /// One step of the progress loop: the kill and the restarts that are due.
  void step(const std::vector<member_info>& up, progress_line& progress);

  /// Nodes killed at the very end come back, so the cluster is whole again.
  void heal();

private:
  struct downed {
    size_t index;
    clock::time_point back_at;
  };

  void kill_busiest(const std::vector<member_info>& up, progress_line& progress,
                    clock::time_point now);
  void restart(size_t index, progress_line& progress);

  tools::local_cluster* local_;
  std::chrono::milliseconds every_;
  std::chrono::milliseconds down_for_;
  clock::time_point next_kill_;
  std::vector<downed> down_;
  std::mt19937 rng_{std::random_device{}()};
  int kills_ = 0;
};

} // namespace troupe::demo::jobs
