#pragma once
// The node agent: membership by gossip, failure detection, member events.

#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "node/registry_mirror.hpp"
#include "troupe/member.hpp"

namespace troupe::detail {

struct agent_settings {
  uint64_t type_set_id = 0;
  std::vector<std::string> exported; // remote-spawn allowlist
  caf::timespan heartbeat_interval;
  caf::timespan suspect_after;
  caf::timespan down_after;
  /// Answers `(connect_atom, host, port)` like CAF's middleman actor, over
  /// the node's link (link_layer.hpp).
  caf::actor connector;
  /// Refreshed on every change of the registry (see registry_mirror.hpp).
  std::shared_ptr<registry_mirror> registry;
};

caf::actor spawn_agent(caf::actor_system& sys, member_info self,
                       agent_settings settings);

} // namespace troupe::detail
