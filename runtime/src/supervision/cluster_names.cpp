#include "supervision/cluster_names.hpp"

#include <map>
#include <mutex>
#include <vector>

namespace troupe::detail::cluster_names {

namespace {

struct slot {
  publisher fn;
  std::vector<request> waiting;
};

std::mutex mtx;
std::map<const caf::actor_system*, slot> slots;

} // namespace

void publish(caf::actor_system& sys, request req) {
  publisher fn;
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto& s = slots[&sys];
    if (!s.fn) {
      s.waiting.push_back(std::move(req));
      return;
    }
    fn = s.fn;
  }
  fn(std::move(req)); // outside the lock: it sends messages
}

void set_publisher(caf::actor_system& sys, publisher fn) {
  std::vector<request> waiting;
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto& s = slots[&sys];
    s.fn = fn;
    waiting.swap(s.waiting);
  }
  for (auto& req : waiting)
    fn(std::move(req));
}

void clear_publisher(caf::actor_system& sys) {
  std::lock_guard<std::mutex> guard{mtx};
  slots.erase(&sys);
}

} // namespace troupe::detail::cluster_names
