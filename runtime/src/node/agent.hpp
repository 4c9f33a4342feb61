#pragma once
// The node agent: membership by gossip, failure detection, member events.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "node/hosted_actors.hpp"
#include "node/member_directory.hpp"
#include "node/membership.hpp"
#include "node/registry_mirror.hpp"
#include "troupe/member.hpp"

namespace troupe::detail {

/// What node::start gives the agent (from troupe.* options).
struct agent_settings {
  uint64_t type_set_id = 0;
  /// The sorted names behind type_set_id (config::type_names).
  std::vector<std::string> type_names;
  /// Peers are authenticated (link_layer::authenticated): a refused joiner
  /// may learn which of this node's type names it lacks.
  bool tell_type_names = false;
  std::vector<std::string> exported; // remote-spawn allowlist
  caf::timespan heartbeat_interval;
  caf::timespan suspect_after;
  caf::timespan down_after;
  /// How long a suspicion stands unrefuted before the member may be marked
  /// down (troupe.suspect-timeout); probes wait half of it for an answer.
  caf::timespan suspect_timeout = std::chrono::seconds(2);
  /// How many other members probe a suspect for this node
  /// (troupe.indirect-probes).
  size_t indirect_probes = 3;
  /// Answers `(connect_atom, host, port)` like CAF's middleman actor, over
  /// the node's link (link_layer.hpp).
  caf::actor connector;
  /// Refreshed on every change of the registry (see registry_mirror.hpp).
  std::shared_ptr<registry_mirror> registry;
  /// Refreshed whenever the membership may have changed (serve_waiters).
  std::shared_ptr<member_directory> directory;
  /// troupe.max-members, and the clock skew allowed in incarnations.
  membership_limits members;
  /// How long down and removed entries stay (troupe.tombstone-ttl).
  caf::timespan tombstone_ttl = std::chrono::minutes(10);
  /// troupe.max-spawns-per-peer, troupe.spawn-rate-per-peer.
  spawn_limits spawns;
  /// troupe.exit-on-agent-death: the watchdog ends the process (else it
  /// only logs; for tests that crash a node inside one process).
  bool exit_on_agent_death = true;
  /// The member name a peer node's certificate proves (mutual TLS), or
  /// empty: a join or self-report under another name is refused.
  std::function<std::string(const caf::node_id&)> certified_name;
  /// Closes the connections to a node this node has declared down, so that
  /// links, monitors and proxies to its actors fire (link_layer.hpp).
  std::function<void(const caf::node_id&, const std::string&)> disconnect;
};

/// Spawns the agent of node `self`, and beside it a watchdog that ends the
/// process (exit code 70, with an error line naming the reason) if the
/// agent ever ends other than by the node's own stop: a node without its
/// agent answers nothing but keeps its port (issue 12, item 5).
caf::actor spawn_agent(caf::actor_system& sys, member_info self,
                       agent_settings settings);

} // namespace troupe::detail
