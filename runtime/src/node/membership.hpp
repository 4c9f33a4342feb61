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
//    old gossip cannot bring it back; a new incarnation replaces it;
//    tombstones (down and removed entries) expire after a while (expire());
//  - nobody is trusted with arithmetic: incarnations are start times in ms
//    since the epoch, so one far ahead of the clock is refused, and raising
//    one saturates instead of wrapping;
//  - a node is the authority on itself: any rumour about it at an
//    incarnation at least its own (except `up` at its own) is answered by
//    gossiping itself above it, so a node that was downed or removed by
//    forged gossip always comes back;
//  - the table is bounded: a new member beyond `max_members` is refused;
//  - an entry relayed by a third party cannot replace a member that is
//    alive and connected here by a new life at another address (that is an
//    impostor claiming a live member's name);
//  - a third party's word that a member is suspect or down is contested
//    (not taken) while this node heard from the member itself within
//    `contest_within`: the agent tells the member, which refutes it;
//  - only direct evidence restarts a member's silence (peer::last_seen):
//    its heartbeats and answers, a connection to it, a strictly higher
//    incarnation announced by the member itself, or a new life; gossip
//    relayed about it never does (a relayed suspicion that refreshed it
//    stretched the detection of a frozen node to 5 s).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/node_id.hpp>

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
  // The CAF node of the member's process, as this node learnt it from the
  // member itself (its join, or the connection this node made to it) or
  // from a member's gossip: messages from that node speak for this member.
  // Kept after a disconnection (a healed partition speaks again), replaced
  // with a new life.
  caf::node_id node;
  // When the entry last changed state (tombstone expiry; for a suspect,
  // when its suspicion began).
  std::chrono::steady_clock::time_point since;
  // The last direct word from the member (a heartbeat, an answer to this
  // node's probe, a connection made, its own higher incarnation); unlike
  // last_seen never refreshed on its behalf (a pause excused, an answer
  // through another member). A member heard within contest_within is
  // defended against a third party's suspicion.
  std::chrono::steady_clock::time_point heard;
  // Probes of a suspect (failure_detector.hpp): a round is in flight, its
  // number (answers to an older round are ignored), whether a round ended
  // unanswered since the suspicion began, and how many other members that
  // round asked.
  bool probing = false;
  uint32_t probe_round = 0;
  bool probes_failed = false;
  size_t probe_helpers = 0;
};

/// Who an entry given to membership::merge comes from.
enum class entry_source : uint8_t {
  self_report, ///< the member itself says it (its join, its own gossip)
  relay,       ///< another member (or the seed's view) tells about it
};

/// Limits on what merge takes in.
struct membership_limits {
  /// Most peers kept (new members beyond it are refused).
  size_t max_members = 1024;
  /// How far ahead of this node's wall clock an incarnation may be (ms).
  uint64_t max_clock_skew_ms = 5 * 60 * 1000;
  /// A member heard from directly within this is kept alive against a
  /// third party's word that it is suspect or down (troupe.suspect-after).
  std::chrono::steady_clock::duration contest_within = std::chrono::seconds(1);
};

/// What a merge changed, for the agent to act on.
struct merge_outcome {
  bool changed = false; ///< the view changed: gossip the entry on
  bool refuted = false; ///< a rumour about this node: gossip ourselves
  bool connect = false; ///< dial the member (new, or a new life)
  /// A third party's suspect or down about a member heard from directly
  /// within contest_within was not taken: tell the member, so that it
  /// refutes the rumour everywhere.
  bool contested = false;
  std::optional<member_event::kind_t> event; ///< for subscribers
  std::string refused; ///< non-empty: why the entry was not taken (log it)
};

class membership {
public:
  using clock = std::chrono::steady_clock;

  membership() = default;

  /// `me` is this node (state up).
  explicit membership(member_info me, membership_limits limits = {});

  /// `x + 1`, but UINT64_MAX stays UINT64_MAX.
  static uint64_t saturating_next(uint64_t x) noexcept {
    return x == UINT64_MAX ? x : x + 1;
  }

  /// The highest incarnation taken in now: the wall clock in ms since the
  /// epoch plus the allowed skew (saturated).
  uint64_t max_incarnation() const;

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

  /// Applies one entry of someone's view at time `now`; `from` says
  /// whether the member itself says it.
  merge_outcome merge(const member_info& m,
                      clock::time_point now = clock::now(),
                      entry_source from = entry_source::relay);

  /// Erases the down and removed entries that have not changed for `ttl`
  /// (tombstones expire); returns their names.
  std::vector<std::string> expire(clock::time_point now, clock::duration ttl);

  /// The peer whose process is CAF node `nid`, or nullptr (never this node).
  peer* find_by_node(const caf::node_id& nid);

  /// This node's own decision about a peer (suspect, down, up again) at
  /// `now`; a change of state ends the probes of a suspicion (a new one
  /// starts afresh). Returns the state before if it changed.
  std::optional<member_state> mark(peer& p, member_state state,
                                   clock::time_point now = clock::now());

  /// Direct evidence from the peer at `now` (its heartbeat, an answer of
  /// its own): its silence starts again.
  static void heard_from(peer& p, clock::time_point now) {
    p.last_seen = p.heard = now;
  }

  /// Whether this node heard from `p` directly within contest_within.
  bool heard_recently(const peer& p, clock::time_point now) const {
    return p.heard != clock::time_point{}
           && now - p.heard <= limits_.contest_within;
  }

  /// The peer's connection ended. A member that had announced `leaving`
  /// becomes a `removed` tombstone (true: gossip it).
  bool disconnected(peer& p);

private:
  /// Ends a suspicion's probe rounds (answers still on their way are
  /// ignored).
  static void end_probes(peer& p);

  member_info me_;
  membership_limits limits_;
  std::map<std::string, peer> peers_; // everyone but this node
};

} // namespace troupe::detail
