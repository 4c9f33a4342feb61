#include "node/membership.hpp"

#include "troupe/log.hpp"

namespace troupe::detail {

membership::membership(member_info me) : me_(std::move(me)) {
  me_.state = member_state::up;
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

merge_outcome membership::merge(const member_info& m, clock::time_point now) {
  merge_outcome result;
  if (m.name == me_.name) {
    if (m.incarnation >= me_.incarnation
        && (m.state == member_state::suspect || m.state == member_state::down)
        && me_.state == member_state::up) {
      // Refute: we are alive. Only we may raise our incarnation.
      me_.incarnation = m.incarnation + 1;
      log::warning("membership",
                   "refuting a rumour that this node is " + to_string(m.state));
      result.changed = result.refuted = true;
    }
    return result;
  }
  auto i = peers_.find(m.name);
  if (i == peers_.end()) {
    peer p{m, now, false, false};
    p.info.agent = nullptr; // resolved by a direct connection
    peers_.emplace(m.name, std::move(p));
    result.changed = true;
    if (alive(m.state)) {
      result.connect = true;
      result.event = member_event::member_up;
    }
    return result;
  }
  auto& cur = i->second.info;
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
  // A new life: the process restarted (elsewhere, or after being down), so
  // the old connection and agent handle are of no use.
  bool new_life
      = m.incarnation > cur.incarnation
        && (m.host != cur.host || m.port != cur.port || !alive(before));
  auto agent = cur.agent;
  cur = m;
  cur.agent = new_life ? caf::actor{} : agent;
  i->second.last_seen = now;
  if (new_life && alive(m.state)) {
    i->second.connecting = false;
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

std::optional<member_state> membership::mark(peer& p, member_state state) {
  if (p.info.state == state)
    return std::nullopt;
  auto before = p.info.state;
  p.info.state = state;
  return before;
}

bool membership::disconnected(peer& p) {
  p.info.agent = nullptr;
  if (p.info.state != member_state::leaving)
    return false;
  // It said goodbye and its process is gone: the end of a graceful leave.
  p.info.state = member_state::removed;
  return true;
}

} // namespace troupe::detail
