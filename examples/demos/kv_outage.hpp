#pragma once
// The failure `troupe demo kv` injects, and what it saw of it.

#include <signal.h>

#include <cstdint>
#include <functional>
#include <string>

#include "demos/demo_cluster.hpp"
#include "demos/kv_load.hpp"
#include "kv/kv_coordinator.hpp"
#include "tools/local_cluster.hpp"

namespace troupe::demos::kv {

/// The failure the demo injects: SIGKILL of the last worker node of the
/// local cluster, then its restart (same name, new process, empty replica).
struct outage {
  std::string victim;
  double killed_at = -1;
  double restarted_at = -1; ///< when the new process was up
  double serving_at = -1;   ///< when its replica served again
  uint64_t ops_at_kill = 0;
  uint64_t ops_while_down = 0;
  bool restart_tried = false;

  void kill(troupe::tools::local_cluster& local, troupe::demo::progress_line& line,
            uint64_t ops, double now) {
    auto i = local.nodes().size() - 1;
    victim = local.nodes()[i].name;
    line.note("  SIGKILL " + victim + " (pid "
              + std::to_string(local.nodes()[i].pid)
              + "): the store must keep serving from the other replicas");
    ops_at_kill = ops;
    local.signal(i, SIGKILL);
    killed_at = now;
  }

  /// Blocks this thread until the node process is up (the client's actors
  /// keep running). Never from another thread: a node dies with the thread
  /// that started it (PR_SET_PDEATHSIG).
  void restart(troupe::tools::local_cluster& local, troupe::demo::progress_line& line,
               const load_stats& stats, std::function<double()> now) {
    restart_tried = true;
    line.note("  restarting " + victim + " (its replica starts empty)");
    if (auto err = local.restart(local.nodes().size() - 1)) {
      line.note("  " + victim + " did not restart: " + *err);
      return;
    }
    restarted_at = now();
    ops_while_down = stats.ops() - ops_at_kill;
  }

  /// Notes when the restarted node's replica serves again.
  void follow(const troupe::kv::coordinator_status& st, size_t nodes, double now) {
    if (restarted_at >= 0 && serving_at < 0 && st.joining == 0
        && st.serving >= nodes)
      serving_at = now;
  }

  /// True while the restarted node is on its way back: the run waits for
  /// it, so that its handoff happens under load.
  bool rejoining() const {
    return restarted_at >= 0 && serving_at < 0;
  }
};

} // namespace troupe::demos::kv
