#include "pubsub/links.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>

namespace troupe::pubsub::detail {

namespace {

/// Messages sent again per link and round at most, so that a relay that
/// fell far behind is caught up gradually.
constexpr size_t max_resend = 1024;

} // namespace

void outgoing_links::transmit(caf::event_based_actor* self, link& l,
                              uint64_t seq, const caf::message& payload) {
  self->send(l.relay, link_deliver_atom::value, l.topic, payload,
             caf::actor_cast<caf::actor>(self), l.epoch, seq);
}

void outgoing_links::send(caf::event_based_actor* self, const caf::actor& relay,
                          const std::string& topic,
                          const caf::message& payload) {
  auto i = links_.find(relay.address());
  if (i == links_.end()) {
    link l;
    l.relay = relay;
    l.topic = topic;
    l.epoch = ++epochs_;
    i = links_.emplace(relay.address(), std::move(l)).first;
  }
  auto& l = i->second;
  if (l.unacked.empty())
    l.progress = l.acked_at = clock_type::now();
  auto seq = l.next_seq++;
  l.unacked.emplace_back(seq, payload);
  transmit(self, l, seq, payload);
}

void outgoing_links::ack(const caf::actor_addr& relay, uint64_t epoch,
                         uint64_t seq) {
  auto i = links_.find(relay);
  if (i == links_.end() || i->second.epoch != epoch)
    return;
  auto& l = i->second;
  bool advanced = false;
  while (!l.unacked.empty() && l.unacked.front().first <= seq) {
    l.unacked.pop_front();
    advanced = true;
  }
  if (advanced)
    l.progress = l.acked_at = clock_type::now();
}

void outgoing_links::retain(const std::string& topic,
                            const std::vector<caf::actor>& members) {
  for (auto i = links_.begin(); i != links_.end();) {
    auto& l = i->second;
    bool gone = l.topic == topic
                && std::none_of(members.begin(), members.end(), [&](auto& m) {
                     return m.address() == i->first;
                   });
    i = gone ? links_.erase(i) : std::next(i);
  }
}

void outgoing_links::resend(caf::event_based_actor* self,
                            clock_type::duration after) {
  auto now = clock_type::now();
  for (auto& [addr, l] : links_) {
    if (l.unacked.empty() || now - l.progress < after)
      continue;
    auto n = std::min(l.unacked.size(), max_resend);
    for (size_t k = 0; k < n; ++k)
      transmit(self, l, l.unacked[k].first, l.unacked[k].second);
    l.progress = now;
  }
}

bool outgoing_links::pending() const {
  return std::any_of(links_.begin(), links_.end(),
                     [](auto& kvp) { return !kvp.second.unacked.empty(); });
}

std::vector<std::string>
outgoing_links::stalled(clock_type::duration after) const {
  std::vector<std::string> result;
  auto now = clock_type::now();
  for (auto& [addr, l] : links_)
    if (!l.unacked.empty() && now - l.acked_at >= after
        && std::find(result.begin(), result.end(), l.topic) == result.end())
      result.push_back(l.topic);
  return result;
}

void incoming_links::send_acks(caf::event_based_actor* self) {
  for (auto& [addr, l] : links_) {
    if (!l.ack_due)
      continue;
    l.ack_due = false;
    self->send(l.broker, link_ack_atom::value,
               caf::actor_cast<caf::actor>(self), l.epoch, l.next_seq - 1);
  }
}

} // namespace troupe::pubsub::detail
