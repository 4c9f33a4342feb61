#pragma once
// The cluster registry as one node holds it: names, the node that owns each,
// and the conflict rule, without actors. The agent announces this node's
// own names to the others and applies theirs; every node applies the same
// rule, so all agree on the winner:
//  - a name is owned by the node that registered it;
//  - on a conflict the registration of the node whose name sorts first wins;
//  - the names of a node that is down or left are erased with it.
// Every change is published to the registry_mirror (node::whereis).

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "node/registry_mirror.hpp"
#include "troupe/member.hpp"

namespace troupe::detail {

/// One entry of the registry or of a process group: a handle and the node
/// that owns it.
struct registration {
  caf::actor handle;
  std::string owner; // node name
};

class cluster_registry {
public:
  cluster_registry() = default;

  /// `self` is this node's name; `mirror` may be null.
  cluster_registry(std::string self, std::shared_ptr<registry_mirror> mirror);

  /// Registers `handle` under `name` for this node: errc::name_taken if a
  /// node whose name sorts first owns it.
  caf::error register_local(const std::string& name, caf::actor handle);

  /// Withdraws this node's registration of `name`: errc::unknown_name when
  /// absent, errc::not_allowed when another node owns it.
  caf::error unregister_local(const std::string& name);

  /// Applies `owner`'s announcement (a null handle withdraws the name).
  void apply(const std::string& owner, const std::string& name,
             caf::actor handle);

  /// errc::unknown_name when absent.
  caf::expected<caf::actor> whereis(const std::string& name) const;

  /// Erases the names `node` owns (it is down or left).
  void erase_owner(const std::string& node);

  /// Applies a member event: the names of a node that went down or left go
  /// with it (a restarted node registers its names anew).
  void on_member_event(member_event::kind_t kind, const std::string& node);

  /// Erases this node's names of the actor `who` (it died); returns them,
  /// to announce their withdrawal.
  std::vector<std::string> erase_local_actor(const caf::actor_addr& who);

  /// This node's own names, to announce to a member that just connected.
  std::vector<std::pair<std::string, caf::actor>> own() const;

private:
  void publish();

  std::string self_;
  std::shared_ptr<registry_mirror> mirror_;
  std::map<std::string, registration> entries_;
};

} // namespace troupe::detail
