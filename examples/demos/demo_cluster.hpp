#pragma once
// The cluster a demo runs on: an embedded local cluster of worker node
// processes (the default), or a running cluster reached through `--seed`;
// and this process joined to it as a `client` member, which uses the
// cluster but hosts none of its placed actors.
//
//   demo_cluster_options opt;
//   opt.demo = "wordcount";
//   auto dc = demo_cluster::start(opt);
//   if (!dc) return 1;                       // the error is printed
//   dc->client().spawn_on(troupe::placement::round_robin, "wc-mapper");

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include <troupe/errc.hpp>
#include <troupe/http_endpoint.hpp>
#include <troupe/node.hpp>

#include "tools/local_cluster.hpp"

namespace troupe::demo {

struct demo_cluster_options {
  std::string demo;               ///< names the log directory
  int nodes = 3;                  ///< worker processes to start locally
  std::string seed;               ///< non-empty: use this running cluster
  std::string cookie_file;        ///< that cluster's secret
  std::vector<std::string> node_args; ///< extra flags for every local node
  std::string listen = "127.0.0.1:0"; ///< the client node's address
  std::string log_level = "error";    ///< of the client node

  /// The defaults of demo `demo`, which starts `nodes` worker nodes.
  static demo_cluster_options of(std::string demo, int nodes) {
    demo_cluster_options x;
    x.demo = std::move(demo);
    x.nodes = nodes;
    return x;
  }
};

/// Bounds a demo's stop: once armed, if it is not destroyed within the
/// limit, it prints what the stop was waiting for (the last stage named)
/// and ends the process with exit code 1, so that a stuck stop never hangs
/// a script or CI. Declare it before what it guards (destroyed after it).
class stop_watchdog {
public:
  stop_watchdog() = default;
  ~stop_watchdog();
  stop_watchdog(const stop_watchdog&) = delete;
  stop_watchdog& operator=(const stop_watchdog&) = delete;

  /// Starts the clock (once; later calls only rename the stage).
  void arm(std::chrono::seconds limit, std::string what);
  /// Names what the stop waits for now.
  void stage(std::string what);

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string stage_;
  std::thread thread_;
};

class demo_cluster {
public:
  /// Starts (or reaches) the cluster and joins it; prints progress and, on
  /// failure, what went wrong to stderr and returns null.
  static std::unique_ptr<demo_cluster> start(const demo_cluster_options& opt);

  /// The client leaves; a local cluster's nodes stop.
  ~demo_cluster();

  troupe::node& client() {
    return *client_;
  }
  troupe::system& sys() {
    return client_->sys();
  }

  /// The embedded local cluster, or null when running against `--seed`.
  tools::local_cluster* local() {
    return local_.get();
  }

  /// Worker members that are up and connected, sorted by name
  /// (troupe::up_workers; errors print and return an empty list).
  std::vector<member_info> workers();

  /// Waits until `n` workers are up; false after `timeout`.
  bool await_workers(size_t n, std::chrono::milliseconds timeout
                                 = std::chrono::seconds(30));

private:
  demo_cluster() = default;

  std::unique_ptr<tools::local_cluster> local_;
  // The actor system keeps a reference to its config: it must outlive the
  // node (members are destroyed in reverse order).
  std::unique_ptr<troupe::config> cfg_;
  std::unique_ptr<troupe::node> client_;
  // The demo process's own endpoint (its work queue's metrics, the
  // dashboard); destroyed before the node it serves.
  std::unique_ptr<troupe::http_endpoint> http_;
};

/// A live status line: rewritten in place on a terminal, one line per
/// `every` otherwise (so logs and CTest output stay readable).
class progress_line {
public:
  explicit progress_line(std::chrono::milliseconds every
                         = std::chrono::seconds(1));

  /// Shows `text` if the last update is older than the refresh interval
  /// (250 ms on a terminal).
  void update(const std::string& text);
  /// Prints a permanent line above the status line.
  void note(const std::string& text);
  /// Ends the status line (prints `text` as its last state).
  void finish(const std::string& text);

  bool tty() const noexcept {
    return tty_;
  }

private:
  bool tty_;
  std::chrono::milliseconds every_;
  std::chrono::steady_clock::time_point last_{};
  bool dirty_ = false;
};

/// Stops actors a demo placed on the workers when it ends, however it ends:
/// they would outlive it on a cluster reached with --seed, and a node does
/// not stop while they run.
struct stop_on_exit {
  troupe::system& sys;
  caf::message stop; ///< what the actors stop on
  std::string what;  ///< names one of them in a warning ("a mapper")
  std::vector<caf::actor> actors;

  ~stop_on_exit();
};

} // namespace troupe::demo
