#pragma once
// The membership rules, without actors or sockets: one node's view of every
// member and how someone else's view merges into it. The agent applies the
// outcome (connects, gossips, notifies); this class only decides.
//
// Rules (the same on every node, so views converge whatever order gossip
// arrives in):
//  - a higher incarnation wins;
//  - within one incarnation the "worse" state wins (see rank());
//  - only a node raises its own incarnation: a rumour that it is suspect or
//    down is refuted by gossiping itself with a higher incarnation;
//  - a member that left and disconnected stays as a `removed` tombstone, so
//    old gossip cannot bring it back; a new incarnation replaces it.

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "troupe/member.hpp"

namespace troupe::detail {

/// A member other than this node, as this node knows it.
struct peer {
  member_info info;
  std::chrono::steady_clock::time_point last_seen;
  bool connecting = false;
  // The connection broke and one reconnect is on its way: a dead process
  // refuses it at once (then the member is down), while a connection that
  // CAF dropped because both sides dialled each other at once comes back.
  bool reconnecting = false;
  // A heartbeat arrived since this node's connection was made: the member
  // has connected back, so a connection that CAF drops because both sides
  // dialled at once has been dropped by now (placement waits for this).
  bool heard_since_connect = false;
};

/// What a merge changed, for the agent to act on.
struct merge_outcome {
  bool changed = false; ///< the view changed: gossip the entry on
  bool refuted = false; ///< a rumour about this node: gossip ourselves
  bool connect = false; ///< dial the member (new, or a new life)
  std::optional<member_event::kind_t> event; ///< for subscribers
};

class membership {
public:
  using clock = std::chrono::steady_clock;

  membership() = default;

  /// `me` is this node (state up).
  explicit membership(member_info me);

  /// 0 joining, 1 up, 2 suspect, 3 leaving, 4 down, 5 removed.
  static int rank(member_state x);

  /// joining, up or suspect: a member to talk to.
  static bool alive(member_state x);

  member_info& me() noexcept {
    return me_;
  }
  const member_info& me() const noexcept {
    return me_;
  }
  std::map<std::string, peer>& peers() noexcept {
    return peers_;
  }
  const std::map<std::string, peer>& peers() const noexcept {
    return peers_;
  }

  /// The peer named `name`, or nullptr.
  peer* find(const std::string& name);

  /// Applies one entry of someone's view at time `now`.
  merge_outcome merge(const member_info& m,
                      clock::time_point now = clock::now());

  /// This node's own decision about a peer (suspect, down, up again).
  /// Returns the state before if it changed.
  std::optional<member_state> mark(peer& p, member_state state);

  /// The peer's connection ended. A member that had announced `leaving`
  /// becomes a `removed` tombstone (true: gossip it).
  bool disconnected(peer& p);

private:
  member_info me_;
  std::map<std::string, peer> peers_; // everyone but this node
};

} // namespace troupe::detail
