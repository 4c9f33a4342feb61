#pragma once
// A chat user of `troupe demo chat`: an actor on a worker node that joins
// rooms (pub/sub topics, actors/pubsub/cluster_broker.hpp) through its
// node's broker, posts numbered messages to them and keeps, per room and
// sender, what it received, so that the demo can check exactly-once,
// in-order delivery.
//
// Spawned by type name "chat-user" with (std::string name). Protocol:
//   (join_atom, std::string room)                  [size_t members]
//       subscribes; answers once the subscription is confirmed, with the
//       number of members that confirmed it.
//   (post_atom, uint64_t first, uint64_t last, uint64_t rate)  []
//       posts message numbers first..last to each of its rooms, `rate`
//       posts per second in all (queued after earlier posting work).
//   (report_atom)                                  [chat_report]
// A message in a room is (std::string sender, uint64_t number,
// std::string text); numbers count per sender and room from 1.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <troupe/config.hpp>

namespace troupe::demos::chat {

using join_atom = caf::atom_constant<caf::atom("chat_join")>;
using post_atom = caf::atom_constant<caf::atom("chat_post")>;
using report_atom = caf::atom_constant<caf::atom("chat_rep")>;

/// What one user received from one sender in one room.
struct chat_stream {
  std::string room;
  std::string sender;
  uint64_t first = 0;    ///< number of the first message received
  uint64_t last = 0;     ///< number of the last message received
  uint64_t count = 0;    ///< messages received
  uint64_t problems = 0; ///< duplicates, gaps and reorderings seen
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_stream& x) {
  return f(caf::meta::type_name("demo.chat.stream"), x.room, x.sender, x.first,
           x.last, x.count, x.problems);
}

/// A user's answer to report_atom.
struct chat_report {
  std::string user;
  uint64_t received = 0;    ///< room messages received, all rooms
  uint64_t posted = 0;      ///< messages posted, all rooms
  uint64_t resubscribed = 0; ///< times its broker ended and it joined again
  std::vector<chat_stream> streams;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_report& x) {
  return f(caf::meta::type_name("demo.chat.report"), x.user, x.received,
           x.posted, x.resubscribed, x.streams);
}

/// Registers the message types and exports "chat-user" (every process of
/// the cluster, through the tool's node setup).
void setup(troupe::config& cfg);

} // namespace troupe::demos::chat
