// Local requests of the agent beyond the first ones (agent.cpp): withdraw a
// name, leave a group, watch one member (Erlang's monitor_node). Each is
// answered at once; the cluster hears of a change as of a registration.

#include "node/agent_protocol.hpp"
#include "node/agent_state.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

caf::result<void> unregister_name(agent_actor* self, const std::string& name) {
  auto& st = self->state;
  if (auto err = st.registry.unregister_local(name))
    return err;
  // A null handle withdraws the name on every node (as when its actor dies).
  for_each_live_peer(self, [&](const caf::actor& agent) {
    self->send(agent, registry_atom::value, st.members.me().name, name,
               caf::actor{});
  });
  return caf::unit;
}

caf::result<void> leave_group(agent_actor* self, const std::string& group,
                              const caf::actor& handle) {
  auto& st = self->state;
  if (!st.groups.leave_local(group, handle))
    return make_error(errc::unknown_name, "the actor is not in group \"" + group
                                              + "\" through this node");
  for_each_live_peer(self, [&](const caf::actor& agent) {
    self->send(agent, group_sync_atom::value, st.members.me().name, group,
               handle, false);
  });
  return caf::unit;
}

void monitor_node(agent_actor* self, const std::string& name,
                  const caf::actor& subscriber) {
  auto& st = self->state;
  if (!subscriber)
    return;
  const member_info* info = nullptr;
  if (name == st.members.me().name)
    info = &st.members.me();
  else if (auto* p = st.members.find(name))
    info = &p->info;
  if (info == nullptr || !membership::alive(info->state)) {
    // Like Erlang's monitor_node on a node it cannot reach: at once.
    member_info gone;
    gone.name = name;
    gone.state = info ? info->state : member_state::removed;
    auto kind = info && info->state != member_state::down
                    ? member_event::member_left
                    : member_event::member_down;
    self->send(subscriber, member_event{kind, info ? *info : gone});
    return;
  }
  self->monitor(subscriber);
  st.node_monitors.push_back({name, subscriber});
}

void fire_node_monitors(agent_actor* self, member_event::kind_t kind,
                        const member_info& who) {
  if (kind == member_event::member_up)
    return;
  std::erase_if(self->state.node_monitors, [&](auto& m) {
    if (m.name != who.name)
      return false;
    self->send(m.subscriber, member_event{kind, who});
    return true;
  });
}

} // namespace troupe::detail
