#pragma once
// The membership as the HTTP endpoint shows it: a watcher actor asks the
// node agent for its view every `refresh` (a request bounded by `refresh`)
// and keeps the last answer here, so HTTP threads read a snapshot and
// never wait for an actor. It also counts member events
// (troupe_member_events_total{event}) and reports the view to /metrics
// through a metrics collector (troupe_members{state},
// troupe_member_backlog{member}, troupe_member_actors{member}).

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "troupe/member.hpp"
#include "troupe/node.hpp"

namespace troupe::observe {

struct view_snapshot {
  std::vector<member_info> members; ///< this node first, as the agent answers
  std::chrono::steady_clock::time_point updated{};
  bool valid = false; ///< false until the agent answered once
};

class cluster_watch {
public:
  cluster_watch(node& n, std::chrono::milliseconds refresh);
  ~cluster_watch();

  cluster_watch(const cluster_watch&) = delete;
  cluster_watch& operator=(const cluster_watch&) = delete;

  view_snapshot get() const;
  /// This node is in its own view as an `up` member.
  bool ready() const;
  /// The agent answered within the last three refreshes.
  bool healthy() const;

  struct shared;

private:
  std::shared_ptr<shared> shared_;
  caf::actor watcher_;
  uint64_t collector_ = 0;
  std::chrono::milliseconds refresh_;
};

} // namespace troupe::observe
