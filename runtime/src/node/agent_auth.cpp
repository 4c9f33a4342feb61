// Who sent the message the agent is handling, and what it may ask (issue
// 12: every handler authorizes its sender). Three kinds of senders:
//  - local: an actor of this process (the local interface, cluster_agent.hpp);
//  - a member: a message from the CAF node this agent recorded for a member
//    (peer::node: from the member's own join, from the connection this node
//    made to it, or from a member's gossip);
//  - anyone else: only `members` (troupe status), `stats` (troupe top;
//    node_stats.hpp) and `join` are answered.
// Cluster updates (registry, groups, gossip, heartbeats) take their owner
// from the sender's identity, never from the message's fields.
//
// The sender's node is what the transport says it is: on CAF's plain BASP
// a peer can write any source node into a message header, so these checks
// are as strong as the transport's binding of a connection to a node.

#include <string>

#include <caf/actor_system.hpp>
#include <caf/type_erased_tuple.hpp>
#include <caf/uniform_type_info_map.hpp>

#include "node/agent_state.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

std::string sender_text(agent_actor* self) {
  auto& s = self->current_sender();
  return s ? "node " + to_string(s->node()) : std::string{"an anonymous sender"};
}

/// The sender's CAF node id (as the transport bound it), or "" if none.
std::string sender_node(agent_actor* self) {
  auto& s = self->current_sender();
  return s ? to_string(s->node()) : std::string{};
}

} // namespace

bool from_local(agent_actor* self) {
  auto& s = self->current_sender();
  return s && s->node() == self->node();
}

peer* sender_member(agent_actor* self, std::string* name) {
  auto& s = self->current_sender();
  if (!s || s->node() == self->node())
    return nullptr;
  auto* p = self->state.members.find_by_node(s->node());
  if (p && name)
    *name = p->info.name;
  return p;
}

bool from_local_or_member(agent_actor* self, const char* what) {
  if (from_local(self))
    return true;
  auto* p = sender_member(self);
  if (p && membership::alive(p->info.state))
    return true;
  refuse(self, what, p ? "from a member that is " + to_string(p->info.state)
                       : std::string{"not from a member"});
  return false;
}

bool certificate_allows(agent_actor* self, const std::string& name,
                        const caf::node_id& n, const std::string& what) {
  auto& lookup = self->state.settings.certified_name;
  if (!lookup || !n)
    return true;
  auto proven = lookup(n);
  if (proven.empty() || proven == name)
    return true;
  refuse(self, what + " as member " + name,
         "the node's TLS certificate names " + proven);
  return false;
}

void refuse(agent_actor* self, const std::string& what, const std::string& why) {
  auto& lim = self->state.refusal_log;
  if (!lim.allow())
    return;
  std::string member;
  sender_member(self, &member);
  log::warning("security",
               "refused " + what + " from " + sender_text(self) + ": " + why
                   + lim.suppressed_note(),
               {{"request", what},
                {"sender_node", sender_node(self)},
                {"sender_member", member},
                {"reason", why}});
}

void membership_warning(agent_actor* self, const std::string& text) {
  auto& lim = self->state.membership_log;
  if (lim.allow())
    log::warning("membership", text + lim.suppressed_note());
}

void log_unexpected(agent_actor* self, const caf::type_erased_tuple& msg) {
  auto& lim = self->state.unexpected_log;
  if (!lim.allow())
    return;
  std::string types;
  auto& names = self->system().types();
  for (size_t i = 0; i < msg.size(); ++i) {
    if (i > 0)
      types += ", ";
    types += names.portable_name(msg.type(i));
  }
  log::warning("security",
               "dropped an unexpected message from " + sender_text(self) + ": "
                   + std::to_string(msg.size()) + " elements (" + types + ")"
                   + lim.suppressed_note(),
               {{"sender_node", sender_node(self)}, {"types", types}});
}

} // namespace troupe::detail
