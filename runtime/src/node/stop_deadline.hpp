#pragma once
// One deadline for a node's whole stop (node::~node): internal to the node
// layer.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "troupe/log.hpp"

namespace troupe::detail {

/// One deadline for a node's whole stop (leave, the hosted actors, the
/// actor system waiting for every actor): a stop that hangs (an actor that
/// ignores its exit, a peer that never answers) ends the process with code
/// 71 and a line that says so, instead of leaving a half-stopped node.
class stop_deadline {
public:
  stop_deadline(std::chrono::seconds limit, std::string node)
      : thread_([this, limit, node = std::move(node)] {
          std::unique_lock<std::mutex> guard{mtx_};
          if (cv_.wait_for(guard, limit, [this] { return done_; }))
            return;
          log::error("node", "stopping node " + node + " took longer than "
                               + std::to_string(limit.count())
                               + " s; exiting with code 71");
          std::fflush(nullptr);
          std::quick_exit(71);
        }) {}

  stop_deadline(const stop_deadline&) = delete;
  stop_deadline& operator=(const stop_deadline&) = delete;

  ~stop_deadline() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_; // last: it uses the members above
};

/// The bound of a node's whole stop (see stop_deadline).
inline constexpr std::chrono::seconds stop_limit{30};

} // namespace troupe::detail
