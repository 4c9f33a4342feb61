#include "pubsub/broker.hpp"

#include <map>
#include <set>

#include <caf/all.hpp>

#include "troupe/metrics.hpp"

namespace troupe::pubsub {

namespace {

struct broker_state {
  std::map<std::string, std::set<caf::actor>> topics;
  static inline const char* name = "troupe.pubsub.broker";
};

using broker_actor = caf::stateful_actor<broker_state>;

caf::behavior broker(broker_actor* self) {
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& topics = self->state.topics;
    for (auto i = topics.begin(); i != topics.end();) {
      for (auto j = i->second.begin(); j != i->second.end();)
        j = (j->address() == dm.source) ? i->second.erase(j) : std::next(j);
      i = i->second.empty() ? topics.erase(i) : std::next(i);
    }
  });
  return {
    [=](subscribe_atom, const std::string& topic, caf::actor& sub) {
      if (!sub)
        return;
      if (self->state.topics[topic].insert(sub).second)
        self->monitor(sub); // one down_msg per subscription; extra ones are harmless
    },
    [=](unsubscribe_atom, const std::string& topic, const caf::actor& sub) {
      auto i = self->state.topics.find(topic);
      if (i == self->state.topics.end())
        return;
      i->second.erase(sub);
      if (i->second.empty())
        self->state.topics.erase(i);
    },
    [=](publish_atom, const std::string& topic, const caf::message& payload) {
      auto i = self->state.topics.find(topic);
      if (i == self->state.topics.end())
        return size_t{0};
      static auto& delivered = metrics::get_counter(
        "troupe_pubsub_deliveries_total",
        "messages handed to local subscribers of a topic", {{"broker", "local"}});
      for (auto& sub : i->second)
        self->send(sub, topic_atom::value, topic, payload);
      delivered.add(i->second.size());
      return i->second.size();
    },
    [=](count_atom, const std::string& topic) {
      auto i = self->state.topics.find(topic);
      return i == self->state.topics.end() ? size_t{0} : i->second.size();
    },
  };
}

} // namespace

caf::actor spawn_broker(caf::actor_system& sys) {
  return sys.spawn(broker);
}

} // namespace troupe::pubsub
