#include "node/membership.hpp"

#include <algorithm>

#include "troupe/log.hpp"

namespace troupe::detail {

membership::membership(member_info me, membership_limits limits)
    : me_(std::move(me)), limits_(limits) {
  me_.state = member_state::up;
}

uint64_t membership::max_incarnation() const {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto now_ms = static_cast<uint64_t>(std::max<int64_t>(now, 0));
  return now_ms > UINT64_MAX - limits_.max_clock_skew_ms
           ? UINT64_MAX
           : now_ms + limits_.max_clock_skew_ms;
}

peer* membership::find_by_node(const caf::node_id& nid) {
  if (!nid)
    return nullptr;
  for (auto& [name, p] : peers_)
    if (p.node == nid)
      return &p;
  return nullptr;
}

std::vector<std::string> membership::expire(clock::time_point now,
                                            clock::duration ttl) {
  std::vector<std::string> result;
  for (auto i = peers_.begin(); i != peers_.end();) {
    auto& p = i->second;
    if ((p.info.state == member_state::down
         || p.info.state == member_state::removed)
        && !p.connecting && now - p.since >= ttl) {
      result.push_back(i->first);
      i = peers_.erase(i);
    } else {
      ++i;
    }
  }
  return result;
}

int membership::rank(member_state x) {
  switch (x) {
    case member_state::joining:
      return 0;
    case member_state::up:
      return 1;
    case member_state::suspect:
      return 2;
    case member_state::leaving:
      return 3;
    case member_state::down:
      return 4;
    case member_state::removed:
      return 5;
  }
  return 0;
}

bool membership::alive(member_state x) {
  return x == member_state::up || x == member_state::suspect
         || x == member_state::joining;
}

peer* membership::find(const std::string& name) {
  auto i = peers_.find(name);
  return i == peers_.end() ? nullptr : &i->second;
}

merge_outcome membership::merge(const member_info& m, clock::time_point now,
                                entry_source from) {
  merge_outcome result;
  if (m.incarnation > max_incarnation()) {
    result.refused = "incarnation " + std::to_string(m.incarnation)
                     + " is far ahead of the clock";
    return result;
  }
  if (m.name == me_.name) {
    // We are the authority on ourselves: any rumour at our incarnation or
    // above (but `up` at ours) is answered with ourselves above it. Only we
    // raise our incarnation; it saturates, and merge refuses incarnations
    // far ahead of the clock, so a forged one cannot push it to the end.
    bool rumour = m.incarnation > me_.incarnation
                  || (m.incarnation == me_.incarnation
                      && m.state != member_state::up
                      && m.state != member_state::joining);
    if (rumour && me_.state == member_state::up) {
      me_.incarnation
          = saturating_next(std::max(m.incarnation, me_.incarnation));
      log::warning("membership",
                   "refuting a rumour that this node is " + to_string(m.state));
      result.changed = result.refuted = true;
    }
    return result;
  }
  auto i = peers_.find(m.name);
  if (i == peers_.end()) {
    if (peers_.size() >= limits_.max_members) {
      result.refused = "the member table is full ("
                       + std::to_string(limits_.max_members)
                       + " members, troupe.max-members)";
      return result;
    }
    peer p;
    p.info = m;
    // Its silence is counted from now; only its own word is direct.
    p.last_seen = now;
    if (from == entry_source::self_report)
      p.heard = now;
    // Which process speaks for it, as the gossiping member knows it.
    p.node = m.agent ? m.agent.node() : caf::node_id{};
    p.since = now;
    p.info.agent = nullptr; // resolved by a direct connection
    peers_.emplace(m.name, std::move(p));
    result.changed = true;
    if (alive(m.state)) {
      result.connect = true;
      result.event = member_event::member_up;
    }
    return result;
  }
  auto& entry = i->second;
  auto& cur = entry.info;
  // Before cur is overwritten: what this node knew of the member.
  auto old_incarnation = cur.incarnation;
  bool newer = m.incarnation > cur.incarnation
               || (m.incarnation == cur.incarnation
                   && rank(m.state) > rank(cur.state));
  if (!newer) {
    if (m.incarnation == cur.incarnation) {
      cur.actors = m.actors;
      cur.backlog = m.backlog;
      cur.uptime_ms = m.uptime_ms;
    }
    return result;
  }
  auto before = cur.state;
  if (from == entry_source::relay
      && (m.state == member_state::suspect || m.state == member_state::down)
      && alive(before) && heard_recently(entry, now)) {
    // A third party's suspicion of a member this node heard from just now
    // is not evidence enough; the member is told and refutes it (only it
    // may raise its incarnation).
    result.contested = true;
    return result;
  }
  if (from == entry_source::relay && m.incarnation > cur.incarnation
      && alive(before) && cur.agent
      && (m.host != cur.host || m.port != cur.port)) {
    // The member is alive and connected here: a new life elsewhere is an
    // impostor's claim (a restarted member's old connection is gone).
    result.refused = "a new life of live member " + m.name + " at "
                     + m.address() + " (it is connected at "
                     + cur.address() + ")";
    return result;
  }
  // A new life: the process restarted (elsewhere, or after being down), so
  // the old connection and agent handle are of no use.
  bool new_life
      = m.incarnation > cur.incarnation
        && (m.host != cur.host || m.port != cur.port || !alive(before));
  // The member itself announces a higher incarnation alive (it refuted a
  // suspicion): direct evidence. A new life is another process, whose
  // silence starts now. Relayed news of the member is neither: a relayed
  // suspicion that refreshed last_seen kept a frozen node alive for longer.
  bool announced = from == entry_source::self_report
                   && m.incarnation > old_incarnation && alive(m.state);
  auto agent = cur.agent;
  cur = m;
  cur.agent = new_life ? caf::actor{} : agent;
  if (new_life)
    entry.node = m.agent ? m.agent.node() : caf::node_id{};
  if (announced)
    heard_from(entry, now);
  else if (new_life)
    entry.last_seen = now;
  if (m.state != before || m.incarnation != old_incarnation) {
    entry.since = now;
    end_probes(entry);
  }
  if (new_life && alive(m.state)) {
    entry.connecting = false;
    result.connect = true;
  }
  if (alive(m.state) && !alive(before))
    result.event = member_event::member_up;
  else if (m.state == member_state::down && before != member_state::down)
    result.event = member_event::member_down;
  else if (m.state == member_state::leaving && before != member_state::leaving)
    result.event = member_event::member_left;
  result.changed = true;
  return result;
}

std::optional<member_state> membership::mark(peer& p, member_state state,
                                             clock::time_point now) {
  if (p.info.state == state)
    return std::nullopt;
  auto before = p.info.state;
  p.info.state = state;
  p.since = now;
  end_probes(p);
  return before;
}

void membership::end_probes(peer& p) {
  // Answers to the rounds in flight no longer count (a new round number).
  p.probing = false;
  p.probes_failed = false;
  p.probe_helpers = 0;
  ++p.probe_round;
}

bool membership::disconnected(peer& p) {
  p.info.agent = nullptr;
  if (p.info.state != member_state::leaving)
    return false;
  // It said goodbye and its process is gone: the end of a graceful leave.
  p.info.state = member_state::removed;
  p.since = clock::now();
  return true;
}

} // namespace troupe::detail
