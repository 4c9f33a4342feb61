#pragma once
// Which member runs on which CAF node, readable from any thread without a
// request: the agent refreshes it whenever its view of the membership may
// have changed (serve_waiters), and node::start makes the directory of its
// actor system findable by the system alone, so that rpc::classify (ipc)
// and troupe::member_name_of can name a receiver's node, and tell a node
// that is known lost from an actor that ended on a live one.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/node_id.hpp>

#include "troupe/member.hpp"

namespace troupe::detail {

/// One member as this node last saw it.
struct directory_entry {
  caf::node_id node;
  std::string name;
  member_state state = member_state::joining;
};

class member_directory {
public:
  /// Replaces the table; returns false (and keeps it) when nothing changed.
  bool assign(std::vector<directory_entry> xs);

  std::optional<directory_entry> find(const caf::node_id& nid) const;

private:
  mutable std::mutex mtx_;
  std::vector<directory_entry> entries_;
};

/// Makes `dir` the directory of `sys` (node::start); null withdraws it.
void publish_directory(const caf::actor_system& sys,
                       std::shared_ptr<member_directory> dir);

/// The entry of node `nid` in the directory of `sys`, if a node runs on
/// `sys` and knows `nid`.
std::optional<directory_entry> find_member(const caf::actor_system& sys,
                                           const caf::node_id& nid);

/// Whether the node of `nid` is known lost by `sys`'s node: down or removed.
bool known_lost(const caf::actor_system& sys, const caf::node_id& nid);

} // namespace troupe::detail
