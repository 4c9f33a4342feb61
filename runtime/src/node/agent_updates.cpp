// The agent's handlers of what other nodes tell it or ask of it: gossip,
// heartbeats, registry and group updates, remote spawn. Each authorizes
// its sender first (agent_auth.cpp): the speaker, and the owner of a name
// or group member, is the member whose process sent the message, never a
// field of it.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>

#include "node/agent_state.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

/// A member whose registry and group updates are taken: alive, or leaving
/// (it withdraws its names and members on the way out).
bool may_update(const peer* p) {
  return p
         && (membership::alive(p->info.state)
             || p->info.state == member_state::leaving);
}

} // namespace

/// (registry_atom, owner, name, handle) from a member's agent: applied with
/// the member as owner, whatever `claimed` says.
void apply_registry_sync(agent_actor* self, const std::string& claimed,
                         const std::string& name, caf::actor& handle) {
  std::string owner;
  auto* p = sender_member(self, &owner);
  if (!may_update(p)) {
    refuse(self, "a registry update of \"" + name + "\"",
           p ? "from a member that is not alive" : "not from a member");
    return;
  }
  if (claimed != owner)
    refuse(self, "the owner \"" + claimed + "\" in a registry update",
           "the sender is member " + owner + " (taken as the owner)");
  self->state.registry.apply(owner, name, std::move(handle));
}

/// (group_sync_atom, owner, group, handle, joined) from a member's agent.
void apply_group_sync(agent_actor* self, const std::string& claimed,
                      const std::string& group, caf::actor& handle,
                      bool joined) {
  std::string owner;
  auto* p = sender_member(self, &owner);
  if (!may_update(p)) {
    refuse(self, "a group update of \"" + group + "\"",
           p ? "from a member that is not alive" : "not from a member");
    return;
  }
  if (claimed != owner)
    refuse(self, "the owner \"" + claimed + "\" in a group update",
           "the sender is member " + owner + " (taken as the owner)");
  self->state.groups.apply(owner, group, handle, joined);
}

/// (gossip_atom, changes) from a member's agent (or this process: the
/// seed's view after a join). Only the member itself speaks for itself.
void apply_gossip(agent_actor* self, std::vector<member_info>& xs) {
  std::string speaker;
  caf::node_id speaker_node;
  if (!from_local(self)) {
    auto* p = sender_member(self, &speaker);
    if (!p) {
      refuse(self, "gossip of " + std::to_string(xs.size()) + " entries",
             "not from a member");
      return;
    }
    speaker_node = p->node;
  }
  std::vector<member_info> changed;
  for (auto& m : xs) {
    bool own = !speaker.empty() && m.name == speaker;
    if (merge(self, m, own ? entry_source::self_report : entry_source::relay,
              own ? speaker_node : caf::node_id{}))
      // A rumour about this node is answered with this node as it is.
      changed.push_back(
          m.name == self->state.members.me().name ? current_me(self) : m);
  }
  gossip(self, std::move(changed));
}

/// (heartbeat_atom, sender) from the member itself.
void apply_heartbeat(agent_actor* self, member_info& m) {
  auto& st = self->state;
  std::string speaker;
  auto* p = sender_member(self, &speaker);
  if (!p || speaker != m.name) {
    refuse(self, "a heartbeat of " + m.name,
           p ? "it comes from member " + speaker : std::string{"not from a member"});
    return;
  }
  if (p->info.incarnation == m.incarnation) {
    membership::heard_from(*p, std::chrono::steady_clock::now());
    st.placements.heard_from(m.name);
    if (p->info.agent && !std::exchange(p->heard_since_connect, true))
      serve_waiters(self);
  }
  auto nid = p->node;
  if (merge(self, m, entry_source::self_report, nid))
    gossip(self, {m});
}

/// (spawn_atom, type, args): remote spawn for a member, or local.
caf::result<caf::actor> spawn_hosted(agent_actor* self, const std::string& type,
                                     caf::message& args) {
  auto& st = self->state;
  std::string owner = st.members.me().name;
  if (!from_local(self)) {
    auto* p = sender_member(self, &owner);
    if (!p || !membership::alive(p->info.state)) {
      refuse(self, "a spawn of \"" + type + "\"", "not from a member");
      return make_error(errc::not_allowed,
                        "node " + st.members.me().name
                            + " spawns only for members of its cluster");
    }
  }
  auto res = st.hosted.spawn(self->system(), type, std::move(args), owner);
  if (!res) {
    if (res.error() == errc::not_allowed && owner != st.members.me().name)
      refuse(self, "a spawn of \"" + type + "\" for " + owner,
             render(res.error()));
    return std::move(res.error());
  }
  self->monitor(*res);
  return std::move(*res);
}

} // namespace troupe::detail
