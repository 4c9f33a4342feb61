#pragma once
// A copy of this node's view of the cluster registry that any thread can
// read. The agent owns the registry and refreshes the copy in the same
// handler that changes it, so node::whereis answers from memory (about a
// hundred nanoseconds) instead of with a request to the agent (tens of
// microseconds from a plain thread), and still sees every registration this
// node's agent has acknowledged.

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>

namespace troupe::detail {

class registry_mirror {
public:
  using entries = std::unordered_map<std::string, caf::actor>;

  void assign(entries xs) {
    std::lock_guard<std::mutex> guard{mtx_};
    entries_.swap(xs);
  }

  std::optional<caf::actor> find(const std::string& name) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = entries_.find(name);
    if (i == entries_.end())
      return std::nullopt;
    return i->second;
  }

private:
  mutable std::mutex mtx_;
  entries entries_;
};

} // namespace troupe::detail
