#include "demos/chat_user.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <utility>

#include <troupe/troupe.hpp>

#include "pubsub/cluster_broker.hpp"

namespace troupe::demos::chat {

namespace {

namespace ps = troupe::pubsub;
using clock_type = std::chrono::steady_clock;

using tick_atom = caf::atom_constant<caf::atom("chat_tick")>;

/// How often a posting user wakes up; the rate holds on average.
constexpr auto tick_interval = std::chrono::milliseconds(10);

/// Posts per tick at most, so that a user that fell behind (a busy
/// machine) catches up gradually instead of flooding its broker.
constexpr uint64_t max_burst = 256;

constexpr auto subscribe_timeout = std::chrono::seconds(30);

/// Numbers first..last, posted to every room, at `rate` posts per second.
struct post_job {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t rate = 1;
  uint64_t done = 0; ///< posts made, over all rooms
  clock_type::time_point started{};
};

struct user_state {
  std::string user_name;
  caf::actor broker;
  std::vector<std::string> rooms;
  std::map<std::pair<std::string, std::string>, chat_stream> streams;
  std::deque<post_job> jobs;
  bool ticking = false;
  uint64_t received = 0;
  uint64_t posted = 0;
  uint64_t resubscribed = 0;
  static inline const char* name = "demo.chat.user";
};

using user_actor = caf::stateful_actor<user_state>;

void tick(user_actor* self) {
  auto& st = self->state;
  if (st.jobs.empty() || st.rooms.empty()) {
    st.ticking = false;
    return;
  }
  auto& job = st.jobs.front();
  if (job.done == 0 && job.started == clock_type::time_point{})
    job.started = clock_type::now();
  auto total = (job.last - job.first + 1) * st.rooms.size();
  auto elapsed = std::chrono::duration<double>(clock_type::now() - job.started);
  auto due = std::min<uint64_t>(total, static_cast<uint64_t>(
                                         elapsed.count() * job.rate)
                                         + 1);
  auto budget = std::min(due > job.done ? due - job.done : 0, max_burst);
  for (uint64_t i = 0; i < budget; ++i, ++job.done) {
    auto number = job.first + job.done / st.rooms.size();
    auto& room = st.rooms[job.done % st.rooms.size()];
    self->send(st.broker, ps::publish_atom::value, room,
               caf::make_message(st.user_name, number,
                                 "message " + std::to_string(number) + " from "
                                   + st.user_name));
    ++st.posted;
  }
  if (job.done == total)
    st.jobs.pop_front();
  self->delayed_send(self, tick_interval, tick_atom::value);
}

void receive(user_actor* self, const std::string& room,
             const caf::message& payload) {
  if (!payload.match_elements<std::string, uint64_t, std::string>())
    return;
  auto& sender = payload.get_as<std::string>(0);
  auto number = payload.get_as<uint64_t>(1);
  auto& s = self->state.streams[std::make_pair(room, sender)];
  ++self->state.received;
  if (s.count == 0) {
    s.room = room;
    s.sender = sender;
    s.first = number;
  } else if (number != s.last + 1) {
    ++s.problems; // a duplicate or a reordering (<= last), or a gap (> last+1)
  }
  s.last = std::max(s.last, number);
  ++s.count;
}

caf::behavior user(user_actor* self, std::string name) {
  auto& st = self->state;
  st.user_name = std::move(name);
  auto broker = ps::cluster_broker(self->system());
  if (!broker) {
    self->quit(broker.error());
    return {};
  }
  st.broker = *broker;
  self->monitor(st.broker);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source != st.broker.address())
      return;
    // The node's broker ended: its relays and our subscriptions with it.
    // Join again through its successor; what was posted meanwhile is lost.
    auto next = ps::cluster_broker(self->system());
    if (!next) {
      self->quit(next.error());
      return;
    }
    st.broker = *next;
    self->monitor(st.broker);
    ++st.resubscribed;
    for (auto& room : st.rooms)
      self->send(st.broker, ps::subscribe_atom::value, room,
                 caf::actor_cast<caf::actor>(self));
  });
  return {
    [self](join_atom, const std::string& room) -> caf::result<size_t> {
      auto& st = self->state;
      if (std::find(st.rooms.begin(), st.rooms.end(), room) == st.rooms.end())
        st.rooms.push_back(room);
      auto rp = self->make_response_promise<size_t>();
      self
        ->request(st.broker, subscribe_timeout, ps::subscribe_atom::value,
                  room, caf::actor_cast<caf::actor>(self))
        .then([rp](size_t members) mutable { rp.deliver(members); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](post_atom, uint64_t first, uint64_t last, uint64_t rate) {
      auto& st = self->state;
      if (first > last || rate == 0)
        return;
      st.jobs.push_back(post_job{first, last, rate, 0, {}});
      if (!st.ticking) {
        st.ticking = true;
        self->send(self, tick_atom::value);
      }
    },
    [self](tick_atom) { tick(self); },
    [self](ps::topic_atom, const std::string& room,
           const caf::message& payload) { receive(self, room, payload); },
    [self](report_atom) {
      auto& st = self->state;
      chat_report rep;
      rep.user = st.user_name;
      rep.received = st.received;
      rep.posted = st.posted;
      rep.resubscribed = st.resubscribed;
      for (auto& kvp : st.streams)
        rep.streams.push_back(kvp.second);
      return rep;
    },
  };
}

} // namespace

void setup(troupe::config& cfg) {
  cfg.add_message_type<chat_report>("demo.chat.report");
  cfg.export_type("chat-user", user);
}

} // namespace troupe::demos::chat
