#pragma once
// Internal to the cluster broker: the hop between a broker and a relay on
// another node, made reliable and ordered while both live.
//
// CAF's transport can lose messages: when two nodes dial each other at the
// same moment, CAF 0.17.6 may keep two connections and later drop one (its
// connection timeout) with messages still in it. So a broker numbers what it
// sends to each remote relay (a link, with an epoch that changes when the
// link is made again) and keeps it until the relay acknowledges; the relay
// delivers in number order, holds what arrives early, drops duplicates and
// acknowledges cumulatively. What stays unacknowledged for a while is sent
// again. The broker's handle travels in every message because a message can
// arrive without a sender on such a connection.
//
//   broker -> relay: (link_deliver_atom, topic, payload, broker, epoch, seq)
//   relay -> broker: (link_ack_atom, relay, epoch, seq)   all <= seq arrived

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

namespace troupe::pubsub::detail {

using link_deliver_atom = caf::atom_constant<caf::atom("ps_deliv")>;
using link_ack_atom = caf::atom_constant<caf::atom("ps_ack")>;

/// A broker's links to remote relays.
class outgoing_links {
public:
  using clock_type = std::chrono::steady_clock;

  /// Sends `payload` on the link to `relay` (made on first use).
  void send(caf::event_based_actor* self, const caf::actor& relay,
            const std::string& topic, const caf::message& payload);

  /// The relay has everything up to `seq` of link `epoch`.
  void ack(const caf::actor_addr& relay, uint64_t epoch, uint64_t seq);

  /// Drops the links of `topic` to relays that left its group (ended, or
  /// their node is gone): nothing will acknowledge them any more.
  void retain(const std::string& topic, const std::vector<caf::actor>& members);

  /// Sends again what waited `after` without any acknowledgement.
  void resend(caf::event_based_actor* self, clock_type::duration after);

  /// Whether a message waits for an acknowledgement.
  bool pending() const;

  /// Topics with a link that made no progress for `after`: their relay may
  /// have ended without this broker publishing there since (see retain).
  std::vector<std::string> stalled(clock_type::duration after) const;

private:
  struct link {
    caf::actor relay;
    std::string topic;
    uint64_t epoch = 0;
    uint64_t next_seq = 1;
    std::deque<std::pair<uint64_t, caf::message>> unacked;
    clock_type::time_point progress; ///< last acknowledgement or resend
    clock_type::time_point acked_at; ///< last acknowledgement
  };

  void transmit(caf::event_based_actor* self, link& l, uint64_t seq,
                const caf::message& payload);

  std::map<caf::actor_addr, link> links_;
  uint64_t epochs_ = 0;
};

/// A relay's links from brokers.
class incoming_links {
public:
  /// Takes message `seq` of the link from `broker`; calls `deliver(topic,
  /// payload)` for it and for every held message that follows it.
  template <class F>
  void receive(const caf::actor& broker, uint64_t epoch, uint64_t seq,
               const std::string& topic, const caf::message& payload,
               F&& deliver) {
    auto& l = links_[broker.address()];
    if (epoch < l.epoch)
      return; // a leftover of a link made again since
    if (epoch > l.epoch || !l.broker) {
      l = link{};
      l.broker = broker;
      l.epoch = epoch;
    }
    l.ack_due = true;
    if (seq < l.next_seq)
      return; // a duplicate: acknowledged again
    if (seq > l.next_seq) {
      l.early.emplace(seq, std::make_pair(topic, payload));
      return;
    }
    deliver(topic, payload);
    ++l.next_seq;
    for (auto i = l.early.begin();
         i != l.early.end() && i->first == l.next_seq; i = l.early.erase(i)) {
      deliver(i->second.first, i->second.second);
      ++l.next_seq;
    }
  }

  /// Acknowledges every link that received something since the last call.
  void send_acks(caf::event_based_actor* self);

private:
  struct link {
    caf::actor broker;
    uint64_t epoch = 0;
    uint64_t next_seq = 1;
    bool ack_due = false;
    std::map<uint64_t, std::pair<std::string, caf::message>> early;
  };

  std::map<caf::actor_addr, link> links_;
};

} // namespace troupe::pubsub::detail
