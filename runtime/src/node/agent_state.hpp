#pragma once
// The node agent's state, one member per concern, and the helpers that the
// agent's files share (agent.cpp: the dispatch; agent_peers.cpp: connecting
// to members and acting on membership changes; agent_waiters.cpp: requests
// answered later). Internal to the node layer.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>

#include "core/rate_limiter.hpp"
#include "node/agent.hpp"
#include "node/cluster_registry.hpp"
#include "node/failure_detector.hpp"
#include "node/hosted_actors.hpp"
#include "node/membership.hpp"
#include "node/placement_state.hpp"
#include "node/process_groups.hpp"

namespace troupe::detail {

/// A `place` request waiting until every worker member that is up is
/// connected (or its deadline).
struct place_waiter {
  placement where;
  caf::response_promise rp;
  std::chrono::steady_clock::time_point until;
};

/// An `await_member` request waiting until the member is connected.
struct member_waiter {
  std::string name;
  caf::response_promise rp;
  std::chrono::steady_clock::time_point until;
};

/// An `await_name` request waiting until the name is registered.
struct name_waiter {
  std::string name;
  caf::response_promise rp;
  std::chrono::steady_clock::time_point until;
};

/// A `monitor_node`: `subscriber` is told once when member `name` goes.
struct node_monitor {
  std::string name;
  caf::actor subscriber;
};

struct agent_state {
  // CAF constructs the state without arguments (not an aggregate: see
  // cluster_broker.cpp); the agent calls init() first.
  agent_state() = default;

  void init(member_info me, agent_settings cfg) {
    settings = std::move(cfg);
    members = membership{std::move(me), settings.members};
    detector = failure_detector{settings.suspect_after, settings.down_after,
                                settings.suspect_timeout};
    registry = cluster_registry{members.me().name, settings.registry};
    groups = process_groups{members.me().name};
    hosted = hosted_actors{members.me().name, settings.exported,
                           settings.spawns};
  }

  agent_settings settings;
  membership members;
  failure_detector detector;
  cluster_registry registry;
  process_groups groups;
  hosted_actors hosted;
  placement_state placements;
  std::vector<place_waiter> place_waiters;
  std::vector<member_waiter> member_waiters;
  std::vector<name_waiter> name_waiters;
  std::vector<node_monitor> node_monitors;
  std::vector<caf::actor> subscribers;
  /// Ends the process if this agent dies unexpectedly (see spawn_agent);
  /// told first when the node stops the agent on purpose.
  caf::actor watchdog;
  /// The published port arrived (bound_atom is taken once).
  bool bound = false;
  /// Log lines a peer can provoke, each kind rate-limited.
  rate_limiter refusal_log{2, 10};
  rate_limiter unexpected_log{2, 10};
  rate_limiter membership_log{5, 20};
  std::chrono::steady_clock::time_point started
      = std::chrono::steady_clock::now();
  uint64_t ticks = 0;
  /// When the next heartbeat tick is due (a tick much later than that
  /// means this node was away: failure_detector::excuse_pause).
  std::chrono::steady_clock::time_point next_tick;
  /// Probes this node runs for other members now (bounded: a member cannot
  /// make it ping without end).
  size_t probes_served = 0;
  rate_limiter probe_log{5, 20};
  static inline const char* name = "troupe.agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

/// Whether the message being handled comes from an actor of this process
/// (the agent's local interface: troupe/cluster_agent.hpp).
bool from_local(agent_actor* self);

/// The member whose process sent the message being handled (its CAF node
/// is the one this node recorded for the member: see peer::node), or
/// nullptr; `name` is set to the member's name.
peer* sender_member(agent_actor* self, std::string* name = nullptr);

/// Whether the sender is local or a member that is alive; otherwise logs
/// (rate-limited) that `what` was refused.
bool from_local_or_member(agent_actor* self, const char* what);

/// Whether node `n` may speak as member `name`: with mutual TLS the
/// certificate of n's connection names the member; false (and a security
/// line naming both) if it names another. Without TLS every node may.
bool certificate_allows(agent_actor* self, const std::string& name,
                        const caf::node_id& n, const std::string& what);

/// Logs, rate-limited, that a message `what` from the current sender was
/// refused and `why`.
void refuse(agent_actor* self, const std::string& what, const std::string& why);

/// A membership warning a peer can provoke, rate-limited.
void membership_warning(agent_actor* self, const std::string& text);

/// What the agent does with a message it has no handler for: logs its
/// sender's node, element count and types (never its content), rate-limited.
void log_unexpected(agent_actor* self, const caf::type_erased_tuple& msg);

/// The handlers of other nodes' updates and requests (agent_updates.cpp),
/// each authorizing its sender first:
/// (registry_atom, owner, name, handle) from a member, owned by the sender.
void apply_registry_sync(agent_actor* self, const std::string& claimed,
                         const std::string& name, caf::actor& handle);
/// (group_sync_atom, owner, group, handle, joined) from a member.
void apply_group_sync(agent_actor* self, const std::string& claimed,
                      const std::string& group, caf::actor& handle,
                      bool joined);
/// (gossip_atom, changes) from a member, or this process (the seed's view).
void apply_gossip(agent_actor* self, std::vector<member_info>& xs);
/// (heartbeat_atom, sender) from the member itself.
void apply_heartbeat(agent_actor* self, member_info& m);
/// (spawn_atom, type, args) from a member (its quota) or this process.
caf::result<caf::actor> spawn_hosted(agent_actor* self, const std::string& type,
                                     caf::message& args);

/// Spawns the watchdog of `agent` (agent_watchdog.cpp): it ends the
/// process if the agent ends before it sent the watchdog disarm_atom.
/// With `exit_process` false it only logs.
caf::actor spawn_watchdog(caf::actor_system& sys, const caf::actor& agent,
                          const std::string& node, bool exit_process);

/// This node as the others should see it now (load and uptime included).
member_info current_me(agent_actor* self);

/// This node's view: itself first, then every peer.
std::vector<member_info> view(agent_actor* self);

/// Calls `f(agent)` for every peer that is alive and connected.
void for_each_live_peer(agent_actor* self,
                        const std::function<void(const caf::actor&)>& f);

/// Pushes `changes` to every live peer.
void gossip(agent_actor* self, std::vector<member_info> changes);

/// Applies one entry of someone's view and acts on the outcome (connect,
/// notify); true if our view changed.
bool merge(agent_actor* self, const member_info& m,
           entry_source from = entry_source::relay,
           const caf::node_id& speaker = {});

/// This node's own decision about a peer, logged with `why` and gossiped.
void mark(agent_actor* self, peer& p, member_state state,
          const std::string& why);

/// Connects to the member's own address (see agent_peers.cpp).
void connect(agent_actor* self, const std::string& name, bool probe = false);

/// Tells subscribers; a member that is gone takes its names and group
/// memberships with it.
void notify(agent_actor* self, member_event::kind_t kind,
            const member_info& who);

/// The local requests of agent_local.cpp: unregister, group_leave,
/// monitor_node (see troupe/cluster_agent.hpp); `fire_node_monitors` tells
/// the monitors of `who` that it went (kind: down or left).
caf::result<void> unregister_name(agent_actor* self, const std::string& name);
caf::result<void> leave_group(agent_actor* self, const std::string& group,
                              const caf::actor& handle);
void monitor_node(agent_actor* self, const std::string& name,
                  const caf::actor& subscriber);
void fire_node_monitors(agent_actor* self, member_event::kind_t kind,
                        const member_info& who);

/// What a refused joiner is told about the two type sets: the names it
/// registers that `me` lacks (its own names, back), and, when the peers
/// are authenticated (settings.tell_type_names), the names of `me` it
/// lacks; never the digest. Empty without the joiner's names.
std::string type_set_difference(const std::string& joiner,
                                const std::string& me,
                                const agent_settings& settings,
                                const std::vector<std::string>* names);

/// A node asks to join through this one: refused with type_set_mismatch or
/// name_taken, otherwise up in our view, gossiped, and answered with it.
caf::result<std::vector<member_info>>
accept_join(agent_actor* self, member_info& joiner, uint64_t type_set,
            const std::vector<std::string>* type_names);

/// Announces `leaving` to every live peer; answered once all confirmed.
caf::result<void> leave_cluster(agent_actor* self);

/// One heartbeat round: beats to every live peer, the failure detector's
/// verdicts, probes of suspects and of members marked down.
void heartbeat_tick(agent_actor* self);

/// Starts a probe round of suspect `name` unless one is in flight: a ping
/// of its agent and a probe request to up to settings.indirect_probes other
/// members (agent_probes.cpp). Any answer restarts its silence; a round
/// without one lets the downing policy act (failure_detector::should_down).
void probe_suspect(agent_actor* self, const std::string& name);

/// (probe_atom, target) from a member: pings the target's agent and
/// answers whether it answered (false if this node is not connected to it,
/// or runs too many probes already). Refused for anyone but a live member.
caf::result<bool> serve_probe(agent_actor* self, const std::string& target);

/// (ping_atom) from a member: answered at once. Refused for anyone else.
caf::result<void> answer_ping(agent_actor* self);

/// Answers the waiting `place` and `await_member` requests that can be
/// answered now (see agent_waiters.cpp).
void serve_waiters(agent_actor* self);

} // namespace troupe::detail
