#pragma once
// A cluster node: troupe::node and the node layer's free functions.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "troupe/cluster_agent.hpp"
#include "troupe/config.hpp"
#include "troupe/member.hpp"
#include "troupe/placement.hpp"
#include "troupe/system.hpp"

namespace troupe::detail {
class registry_mirror;
class link_layer;
class seed_watch;
} // namespace troupe::detail

namespace troupe {

/// One process's membership in a cluster: its troupe::system, published on
/// a TCP port through CAF's middleman (BASP), and a node agent that keeps
/// the membership by gossip, detects failures with heartbeats and monitors,
/// and serves the cluster registry, process groups and remote spawns.
///
///   troupe::config cfg;                 // --troupe.listen, --troupe.seeds...
///   auto n = troupe::node::start(cfg);  // publishes, joins through a seed
///   if (!n) { std::cerr << troupe::render(n.error()); return 1; }
///   (*n)->subscribe(my_actor);          // member_event messages
///
/// The member functions block the calling thread (each for at most its
/// timeout); from inside an actor use the agent's asynchronous interface
/// instead (troupe/cluster_agent.hpp, `local_agent(sys)`).
class node {
public:
  /// Time a blocking call waits for the agent by default.
  static constexpr caf::timespan default_timeout = std::chrono::seconds(10);

  /// Starts the system, publishes the agent on `troupe.listen` and joins
  /// through the first reachable of `troupe.seeds` (progress on stderr).
  /// `cfg` must outlive the node (CAF's actor system refers to it).
  static caf::expected<std::unique_ptr<node>> start(config& cfg);

  /// Leaves the cluster (if not done yet) and stops the system.
  ~node();

  /// The node's actor system (owned by the node).
  troupe::system& sys() noexcept {
    return *sys_;
  }
  /// The member name (troupe.node-name, or node-PID).
  const std::string& name() const noexcept {
    return name_;
  }
  /// The address the node listens on.
  const std::string& host() const noexcept {
    return host_;
  }
  /// The port the node listens on (resolved if troupe.listen said port 0).
  uint16_t port() const noexcept {
    return port_;
  }
  /// The node agent (the same as local_agent(sys().actors())).
  const caf::actor& agent() const noexcept {
    return agent_;
  }

  /// This node's view of the membership, itself included.
  caf::expected<std::vector<member_info>>
  members(caf::timespan timeout = default_timeout);

  /// `subscriber` receives a member_event for every member that comes up,
  /// goes down or leaves, starting with the current members that are up.
  void subscribe(const caf::actor& subscriber);

  /// Registers `handle` under `name` in the cluster registry: every node's
  /// lookup finds it until the actor or its node dies. On a conflict the
  /// registration of the node whose name sorts first wins, on every node.
  caf::error register_name(const std::string& name, const caf::actor& handle,
                           caf::timespan timeout = default_timeout);

  /// Looks a name up in the cluster registry (errc::unknown_name if absent),
  /// as Erlang's global:whereis_name does; stable names of supervised
  /// children in this process are system::whereis. Answered from this
  /// node's copy of the registry, without a request, so it never blocks:
  /// names registered on this node are visible once register_name returned,
  /// names of other nodes once their registration reached this node.
  caf::expected<caf::actor> lookup(const std::string& name) const;

  /// Withdraws this node's registration of `name` on every node (as
  /// Erlang's global:unregister_name). errc::unknown_name when absent,
  /// errc::not_allowed when another node owns the name. Other nodes lose
  /// the name when the withdrawal reaches them (until then their lookup
  /// still finds the handle).
  caf::error unregister_name(const std::string& name,
                             caf::timespan timeout = default_timeout);

  /// Waits until `name` is in this node's copy of the cluster registry and
  /// returns its handle (at once if it is there); errc::timeout after
  /// `timeout`. For a name that another node registers as it starts.
  caf::expected<caf::actor> await_name(const std::string& name,
                                       caf::timespan timeout = default_timeout);

  /// Waits until member `name` is up and this node is connected to it, and
  /// returns its member_info; errc::node_down when it is suspect, down,
  /// leaving or unknown, or still not connected after `timeout`.
  caf::expected<member_info> await_member(const std::string& name,
                                          caf::timespan timeout
                                          = default_timeout);

  /// `subscriber` receives one member_event (member_down or member_left)
  /// when member `name` goes down or leaves, at once if no live member has
  /// that name (Erlang's monitor_node). Dropped when the subscriber dies;
  /// a member that comes back needs a new monitor.
  void monitor_node(const std::string& name, const caf::actor& subscriber);

  /// Adds `handle` to process group `group` (an actor may be in many
  /// groups, a group spans the cluster). It leaves when it dies or its node
  /// goes down or leaves.
  caf::error join_group(const std::string& group, const caf::actor& handle,
                        caf::timespan timeout = default_timeout);

  /// Takes `handle` out of process group `group` on every node (Erlang's
  /// pg:leave). errc::unknown_name when it did not join `group` through
  /// this node. A broadcast that another node makes before the change
  /// reaches it may still deliver to `handle`.
  caf::error leave_group(const std::string& group, const caf::actor& handle,
                         caf::timespan timeout = default_timeout);

  /// The members of `group` as this node knows them (eventually consistent).
  caf::expected<std::vector<caf::actor>>
  group_members(const std::string& group,
                caf::timespan timeout = default_timeout);

  /// Sends `msg` to every member of `group`; returns how many it reached.
  caf::expected<size_t> broadcast(const std::string& group,
                                  const caf::message& msg,
                                  caf::timespan timeout = default_timeout);

  /// Spawns an exported type on the member named `node_name` (which may be
  /// this node). A member that gossip reports up but this node has not
  /// connected to yet (right after a join) is waited for, within `timeout`.
  /// Errors: unknown_actor_type, not_allowed (known there, not exported),
  /// bad_arguments, node_down; the target node never crashes on a bad
  /// request.
  caf::expected<caf::actor> spawn_on(const std::string& node_name,
                                     const std::string& type,
                                     caf::message args = {},
                                     caf::timespan timeout = default_timeout);

  /// Spawns on a worker member chosen by `where` (see up_workers). The
  /// node's one placement state chooses, shared with its supervisors'
  /// remote children: round_robin takes the workers in turn across all of
  /// them, least_loaded counts recent placements as load. Right after a
  /// join it waits (up to half of `timeout`) until this node is connected
  /// to every worker member it knows, so that it places over all of them.
  caf::expected<caf::actor> spawn_on(const placement& where,
                                     const std::string& type,
                                     caf::message args = {},
                                     caf::timespan timeout = default_timeout);

  /// Tells the cluster this node leaves (state `leaving`) before it stops.
  caf::error leave(caf::timespan timeout = default_timeout);

  /// Serves until the process gets SIGINT or SIGTERM (from any thread's
  /// point of view: it installs handlers for both while it waits and puts
  /// the previous ones back), then leaves the cluster (members see it
  /// `leaving`, then removed, never down) and stops the node in order:
  /// the actors it hosts for others (user_shutdown, then kill after 3 s),
  /// the agent, the connections (remote handles end with
  /// remote_link_unreachable), the actor system with every actor in it.
  /// Returns the signal's number (-1 if it could not wait). The node is
  /// stopped then: sys(), agent() and every member function are unusable;
  /// only destroy it. A signal that arrives before the call has its usual
  /// effect (SIGTERM's default ends the process at once).
  int run_until_signal();

private:
  node() = default;

  /// What ~node does (leave if not done, then the orderly stop of
  /// run_until_signal); a no-op the second time.
  void stop();

  std::unique_ptr<troupe::system> sys_;
  // Declared after sys_: destroyed (and stopped) before the system is.
  std::unique_ptr<detail::link_layer> link_;
  // Re-resolves dns: and srv: seeds after the join; stopped before link_.
  std::unique_ptr<detail::seed_watch> seed_watch_;
  caf::actor agent_;
  std::shared_ptr<detail::registry_mirror> registry_;
  std::string name_;
  std::string host_;
  uint16_t port_ = 0;
  bool left_ = false;
};

/// Registers the node layer's message types (member_info, member_event) in
/// `cfg`. node::start does it; a plain troupe::system that talks to a node's
/// agent, as `troupe status` does through query_members, must call it
/// before the system is constructed: `troupe::system sys{add_node_types(cfg)}`.
/// Returns `cfg`.
config& add_node_types(config& cfg);

/// Asks the node listening on `host:port` for its membership view (the
/// `troupe status` command). `sys` needs the node types (add_node_types);
/// errc::invalid_config otherwise.
caf::expected<std::vector<member_info>>
query_members(caf::actor_system& sys, const std::string& host, uint16_t port,
              caf::timespan timeout = node::default_timeout);

/// The member name of the node that CAF node `nid` is, as the troupe::node
/// running on `sys` last saw it (its own name for `sys.node()`), or nothing
/// when no node runs on `sys` or it has not heard of `nid`. Never blocks: it
/// reads a copy of the agent's view, refreshed at each membership change
/// and heartbeat tick, so a member that joined a moment ago may be missing.
std::optional<std::string> member_name_of(const caf::actor_system& sys,
                                          const caf::node_id& nid);

/// The member name of the node `handle`'s actor runs on (see above); nothing
/// for an invalid handle.
std::optional<std::string> member_name_of(const caf::actor_system& sys,
                                          const caf::actor& handle);

/// Splits "host:port"; errc::invalid_config naming `option` otherwise.
caf::expected<std::pair<std::string, uint16_t>>
parse_host_port(const std::string& text, const std::string& option);

} // namespace troupe
