#pragma once
// Process groups as one node holds them (group -> members, each with the
// node that owns it), without actors. A member leaves when it dies (its
// owner announces it) or when its node is down or left (every node erases
// the owner's members itself).

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>

#include "node/cluster_registry.hpp"

namespace troupe::detail {

class process_groups {
public:
  process_groups() = default;

  explicit process_groups(std::string self) : self_(std::move(self)) {}

  /// Adds `handle`, owned by this node, to `group`.
  void join_local(const std::string& group, caf::actor handle);

  /// Takes `handle`, owned by this node, out of `group`; false if it was
  /// not in it.
  bool leave_local(const std::string& group, const caf::actor& handle);

  /// Applies `owner`'s announcement that `handle` joined or left `group`.
  void apply(const std::string& owner, const std::string& group,
             const caf::actor& handle, bool joined);

  std::vector<caf::actor> members(const std::string& group) const;

  /// Erases the members `node` owns (it is down or left).
  void erase_owner(const std::string& node);

  /// Applies a member event: the members of a node that went down or left
  /// leave every group.
  void on_member_event(member_event::kind_t kind, const std::string& node) {
    if (kind == member_event::member_down || kind == member_event::member_left)
      erase_owner(node);
  }

  /// Erases this node's member `who` (it died) from every group; returns
  /// the groups it left, to announce.
  std::vector<std::string> erase_local_actor(const caf::actor_addr& who);

  /// This node's own members (group, handle), to announce to a member that
  /// just connected.
  std::vector<std::pair<std::string, caf::actor>> own() const;

private:
  std::string self_;
  std::map<std::string, std::vector<registration>> groups_;
};

} // namespace troupe::detail
