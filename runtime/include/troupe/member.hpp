#pragma once
// A cluster member as every node sees it, and the events about members.
//
// States (as in Akka Cluster, with SWIM's suspicion):
//   joining -> up -> suspect -> down -> removed
//                 \-> leaving -> removed
// A node that is suspected but alive refutes the suspicion by gossiping a
// higher incarnation of itself; only the node itself raises its incarnation.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe {

enum class member_state : uint8_t { joining, up, suspect, down, leaving, removed };

/// "joining", "up", "suspect", "down", "leaving", "removed" ("?" otherwise).
std::string to_string(member_state x);

/// What a member is for (like Akka's roles), from --troupe.role.
enum class member_role : uint8_t {
  worker, ///< hosts actors placed by spawn_on and remote children
  client, ///< joins only to use the cluster (demo drivers, tools)
};

/// "worker" or "client" ("?" otherwise).
std::string to_string(member_role x);

/// The role named `text` ("worker" or "client"), or nothing.
std::optional<member_role> parse_member_role(const std::string& text);

/// A cluster member as a node sees it: identity, address, state, its
/// agent's handle (null while this node is not connected to it) and the
/// load it last reported.
struct member_info {
  std::string name;
  std::string host;
  uint16_t port = 0;
  uint64_t incarnation = 0;
  member_state state = member_state::joining;
  caf::actor agent;
  /// Workers host placed actors; clients only use the cluster.
  member_role role = member_role::worker;
  /// Load reported in heartbeats (used for least_loaded placement): the
  /// node's running actors, and the messages waiting in its agent's
  /// mailbox (CAF counts no other mailbox; a saturated node's agent falls
  /// behind first).
  uint64_t actors = 0;
  uint64_t backlog = 0;
  /// Milliseconds since the member's process started.
  int64_t uptime_ms = 0;

  /// Whether placement may put actors on this member.
  bool hosts_placed_actors() const {
    return role != member_role::client;
  }

  /// "host:port".
  std::string address() const {
    return host + ":" + std::to_string(port);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("troupe.member_info"), x.name, x.host, x.port,
           x.incarnation, x.state, x.agent, x.role, x.actors, x.backlog, x.uptime_ms);
}

/// Sent to subscribers (see troupe::node::subscribe).
struct member_event {
  enum kind_t : uint8_t { member_up, member_down, member_left };
  kind_t kind = member_up;
  member_info member;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_event& x) {
  return f(caf::meta::type_name("troupe.member_event"), x.kind, x.member);
}

std::string to_string(member_event::kind_t x);

/// The members of `view` that can take placed actors now: up, connected
/// (their agent is known to this node) and hosting placed actors (not
/// clients), sorted by name, as every placement policy expects them.
inline std::vector<member_info> up_workers(std::vector<member_info> view) {
  std::erase_if(view, [](const member_info& m) {
    return m.state != member_state::up || !m.agent || !m.hosts_placed_actors();
  });
  std::sort(view.begin(), view.end(),
            [](const member_info& a, const member_info& b) { return a.name < b.name; });
  return view;
}

} // namespace troupe
