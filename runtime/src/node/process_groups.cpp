#include "node/process_groups.hpp"

#include <caf/actor_addr.hpp>

namespace troupe::detail {

void process_groups::join_local(const std::string& group, caf::actor handle) {
  // A second join of the same handle is a no-op, as other nodes apply it
  // (see apply): every node holds each handle once per group.
  auto& xs = groups_[group];
  for (auto& m : xs)
    if (m.owner == self_ && m.handle == handle)
      return;
  xs.push_back(registration{std::move(handle), self_});
}

bool process_groups::leave_local(const std::string& group,
                                 const caf::actor& handle) {
  auto i = groups_.find(group);
  if (i == groups_.end())
    return false;
  auto n = std::erase_if(i->second, [&](auto& m) {
    return m.owner == self_ && m.handle == handle;
  });
  if (i->second.empty())
    groups_.erase(i);
  return n > 0;
}

void process_groups::apply(const std::string& owner, const std::string& group,
                           const caf::actor& handle, bool joined) {
  auto& xs = groups_[group];
  std::erase_if(
      xs, [&](auto& m) { return m.owner == owner && m.handle == handle; });
  if (joined && handle)
    xs.push_back(registration{handle, owner});
}

std::vector<caf::actor>
process_groups::members(const std::string& group) const {
  std::vector<caf::actor> result;
  auto i = groups_.find(group);
  if (i != groups_.end())
    for (auto& m : i->second)
      result.push_back(m.handle);
  return result;
}

void process_groups::erase_owner(const std::string& node) {
  for (auto& [group, xs] : groups_)
    std::erase_if(xs, [&](auto& m) { return m.owner == node; });
}

std::vector<std::string>
process_groups::erase_local_actor(const caf::actor_addr& who) {
  std::vector<std::string> result;
  for (auto& [group, xs] : groups_)
    if (std::erase_if(xs,
                      [&](auto& m) {
                        return m.owner == self_ && m.handle.address() == who;
                      })
        > 0)
      result.push_back(group);
  return result;
}

std::vector<std::pair<std::string, caf::actor>> process_groups::own() const {
  std::vector<std::pair<std::string, caf::actor>> result;
  for (auto& [group, xs] : groups_)
    for (auto& m : xs)
      if (m.owner == self_)
        result.emplace_back(group, m.handle);
  return result;
}

} // namespace troupe::detail
