#pragma once
// The `kv` demo's store on its cluster: the coordinator in this (client)
// process and a replica on every worker node that is up, a new, empty one
// for every new process of a node (a restarted node), announced to the
// coordinator, which hands it its keys before it serves. A replica that
// ends while its node stays up (a replica quits when it loses sight of the
// coordinator, which a node that just restarted can do for a moment) is
// replaced too: a node that is up always gets a replica.
//
// Everything here runs in the demo's main thread: `pump` handles what the
// membership watcher and the coordinator reported (the only blocking calls
// are the remote spawns), so the demo prints from one thread only.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include <troupe/member.hpp>

#include "kv/kv_coordinator.hpp"
#include "demos/demo_cluster.hpp"

namespace troupe::demos::kv {

class deployment {
public:
  using clock_type = std::chrono::steady_clock;
  using note_fn = std::function<void(const std::string&)>;

  /// Spawns the coordinator and watches the membership; `note` prints a
  /// line (called from the thread that calls pump).
  deployment(demo::demo_cluster& dc, note_fn note);

  /// Stops the coordinator; the replicas stop with it.
  ~deployment();

  deployment(const deployment&) = delete;
  deployment& operator=(const deployment&) = delete;

  const caf::actor& coordinator() const noexcept {
    return coord_;
  }

  /// The coordinator's view (all zero if it does not answer).
  troupe::kv::coordinator_status status();

  /// Worker nodes up, and all worker nodes seen.
  size_t nodes_up() const;
  size_t nodes_known() const {
    return workers_.size();
  }

  /// The replicas of the worker nodes that are up.
  std::vector<caf::actor> live_replicas() const;

  /// Handles what was reported within `timeout` and gives every worker
  /// node that is up a replica.
  void pump(std::chrono::milliseconds timeout);

  /// Pumps until `pred` holds; false after `timeout`.
  template <class Pred>
  bool pump_until(Pred pred, clock_type::duration timeout) {
    auto deadline = clock_type::now() + timeout;
    while (!pred()) {
      if (clock_type::now() >= deadline)
        return false;
      pump(std::chrono::milliseconds(100));
    }
    return true;
  }

private:
  /// What the watcher and the coordinator report.
  struct inbox {
    struct item {
      enum kind_t { up, down, replica_down, note } kind = note;
      troupe::member_info member; ///< of up and down
      std::string text;
      caf::actor_addr replica; ///< of replica_down
      bool unreachable = false; ///< replica_down: its node is gone
    };

    std::mutex mtx;
    std::condition_variable cv;
    std::deque<item> items;

    void push(item x);
    /// Everything queued, waiting at most `timeout` for the first item.
    std::deque<item> take(std::chrono::milliseconds timeout);
  };

  /// A worker node: is it up, and the replica of its current process.
  struct worker {
    bool up = false;
    /// Cleared when the node goes down: a node that comes back is a new
    /// process and gets a new, empty replica.
    caf::actor replica;
    /// When to try the spawn again (right after a node comes up, this
    /// process may not be connected to it yet).
    clock_type::time_point next_try{};
    int failures = 0;
  };

  /// Reports member events and the end of every replica it is told to
  /// watch.
  static caf::behavior watcher(caf::event_based_actor* self,
                               std::shared_ptr<inbox> box);

  void spawn_replica(const std::string& name, worker& w);

  demo::demo_cluster& dc_;
  note_fn note_;
  std::shared_ptr<inbox> box_ = std::make_shared<inbox>();
  caf::actor coord_;
  caf::actor watcher_;
  std::map<std::string, worker> workers_;
};

} // namespace troupe::demos::kv
