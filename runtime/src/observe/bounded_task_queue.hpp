#pragma once
// cpp-httplib's task queue with bounds: `threads` workers and at most
// `queue` accepted connections waiting for one. cpp-httplib 0.11 offers no
// way to refuse a connection from the queue (the task owns the socket), so
// a task beyond the bound runs on the accepting thread itself: accepting
// pauses until it is done, and further clients wait in the kernel's listen
// backlog instead of in memory.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace troupe::observe {

class bounded_task_queue final : public httplib::TaskQueue {
public:
  bounded_task_queue(size_t threads, size_t queue) : max_queue_(queue) {
    for (size_t i = 0; i < threads; ++i)
      workers_.emplace_back([this] { work(); });
  }

  ~bounded_task_queue() override {
    shutdown();
  }

  void enqueue(std::function<void()> fn) override {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      if (jobs_.size() < max_queue_ && !workers_.empty()) {
        jobs_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    fn(); // over the bound: backpressure on the accepting thread
  }

  void shutdown() override {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      if (stopping_)
        return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_)
      t.join();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        cv_.wait(guard, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty())
          return; // stopping, and every accepted connection was served
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }

  size_t max_queue_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

} // namespace troupe::observe
