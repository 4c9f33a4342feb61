#pragma once
// The node agent's local interface: the requests code in this process (an
// actor, or troupe::node's blocking wrappers) may send to the agent of its
// node, with their replies. The agent's peer-to-peer protocol (join, gossip,
// heartbeats, registry and group updates) is internal and not listed here.

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "troupe/member.hpp"
#include "troupe/placement.hpp"

namespace troupe {

/// The agent of the troupe::node running on `sys` (the actor that answers
/// the requests below for this node), or an invalid handle when no node
/// runs there. Set by node::start, cleared when the node stops.
caf::actor local_agent(caf::actor_system& sys);

/// A message passing interface to the node agent (like
/// `caf::io::middleman_actor`). Every request is answered, with an error
/// value where one is listed; none crashes the agent. The agent of the node
/// running in this process is `troupe::local_agent(sys)` (above);
/// members' agents are in `member_info::agent`.
///
/// The interface implements the following pseudo code.
/// ~~~
/// interface cluster_agent {
///
///   // This node's view of the membership, itself first. A member whose
///   // `agent` is null is known by gossip but not connected yet. May also
///   // be sent to another member's agent (its view).
///   (members_atom) -> (std::vector<member_info>)
///
///   // Answers when member `name` is up and this node is connected to it
///   // (its member_info, agent set); errc::node_down when no member has
///   // that name, when it is suspect, down, leaving or removed, or when it
///   // is still not connected after `max_wait`.
///   (await_member_atom, std::string name, caf::timespan max_wait)
///   -> (member_info)
///
///   // Orders the worker members (up_workers: up, connected, not clients)
///   // for one placement: the policy's choice first, then the others in
///   // turn. The node's one placement state: every caller shares its
///   // round-robin turn, and least_loaded counts the placements made since
///   // each member's last heartbeat. Waits (at most `max_wait`) while a
///   // worker member that is up is not connected yet or has not sent a
///   // heartbeat since (right after a join: a fresh connection may still be
///   // dropped while the member dials back). Empty when no worker is up.
///   (place_atom, placement where, caf::timespan max_wait)
///   -> (std::vector<member_info>)
///
///   // Spawns the exported type `type` on this node from `args`. Errors:
///   // errc::unknown_actor_type (no such type), errc::not_allowed (a type
///   // this node knows but does not export), errc::bad_arguments. May be
///   // sent to any member's agent: this is remote spawn.
///   (spawn_atom, std::string type, caf::message args) -> (caf::actor)
///
///   // Registers `handle` under `name` in the cluster registry, owned by
///   // this node. errc::name_taken if a node whose name sorts first owns
///   // the name (the rule every node applies to conflicts).
///   (register_atom, std::string name, caf::actor handle) -> ()
///
///   // Looks a name up in this node's copy of the cluster registry.
///   // errc::unknown_name when absent. May be sent to any member's agent.
///   (whereis_atom, std::string name) -> (caf::actor)
///
///   // Adds `handle` to process group `group` (cluster-wide, eventually
///   // consistent); it leaves when it dies or its node goes.
///   (group_join_atom, std::string group, caf::actor handle) -> ()
///
///   // The members of `group` as this node knows them. May be sent to any
///   // member's agent.
///   (group_members_atom, std::string group) -> (std::vector<caf::actor>)
///
///   // `subscriber` receives a member_event for every member that comes up,
///   // goes down or leaves, starting with the members that are up now.
///   (subscribe_atom, caf::actor subscriber)
///
///   // Withdraws this node's registration of `name` on every node.
///   // errc::unknown_name when absent, errc::not_allowed when another node
///   // owns it.
///   (unregister_atom, std::string name) -> ()
///
///   // Answers with the handle registered as `name` once this node's copy
///   // of the registry has it (at once if it has); errc::timeout after
///   // `max_wait`.
///   (await_name_atom, std::string name, caf::timespan max_wait)
///   -> (caf::actor)
///
///   // Takes `handle` out of process group `group` on every node.
///   // errc::unknown_name when it did not join `group` through this node.
///   (group_leave_atom, std::string group, caf::actor handle) -> ()
///
///   // Erlang's monitor_node: `subscriber` receives one member_event
///   // (member_down or member_left) when member `name` goes down or leaves,
///   // at once if no live member has that name. Dropped when the
///   // subscriber dies. A member that comes back needs a new monitor.
///   (monitor_node_atom, std::string name, caf::actor subscriber)
/// }
/// ~~~
using members_atom = caf::atom_constant<caf::atom("t_members")>;
using await_member_atom = caf::atom_constant<caf::atom("t_awaitmb")>;
using place_atom = caf::atom_constant<caf::atom("t_place")>;
using spawn_atom = caf::atom_constant<caf::atom("t_spawn")>;
using register_atom = caf::atom_constant<caf::atom("t_reg")>;
using whereis_atom = caf::atom_constant<caf::atom("t_whereis")>;
using group_join_atom = caf::atom_constant<caf::atom("t_gjoin")>;
using group_members_atom = caf::atom_constant<caf::atom("t_gmembers")>;
using subscribe_atom = caf::atom_constant<caf::atom("t_subscr")>;
using unregister_atom = caf::atom_constant<caf::atom("t_unreg")>;
using await_name_atom = caf::atom_constant<caf::atom("t_awaitnm")>;
using group_leave_atom = caf::atom_constant<caf::atom("t_gleave")>;
using monitor_node_atom = caf::atom_constant<caf::atom("t_monnode")>;

/// Asynchronous helpers for actors: each sends one request of the interface
/// above from `self` and returns CAF's response handle, so the caller writes
/// `.then(on_reply, on_error)` (or `.receive` from a scoped actor) with the
/// reply type documented there.
namespace cluster_api {

/// (members_atom) -> std::vector<member_info>
template <class Self>
auto members(Self* self, const caf::actor& agent, caf::timespan timeout) {
  return self->request(agent, timeout, members_atom::value);
}

/// (await_member_atom, name, max_wait) -> member_info. The agent answers
/// within `max_wait`; the request's own timeout is a little longer.
template <class Self>
auto await_member_connected(Self* self, const caf::actor& agent,
                            std::string name, caf::timespan max_wait) {
  return self->request(agent,
                       max_wait + max_wait / 10 + std::chrono::milliseconds(1),
                       await_member_atom::value, std::move(name), max_wait);
}

/// (place_atom, where, max_wait) -> std::vector<member_info>
template <class Self>
auto place(Self* self, const caf::actor& agent, const placement& where,
           caf::timespan max_wait, caf::timespan timeout) {
  return self->request(agent, timeout, place_atom::value, where, max_wait);
}

/// (spawn_atom, type, args) -> caf::actor, sent to `agent` (any member's).
template <class Self>
auto spawn(Self* self, const caf::actor& agent, std::string type,
           caf::message args, caf::timespan timeout) {
  return self->request(agent, timeout, spawn_atom::value, std::move(type),
                       std::move(args));
}

/// (register_atom, name, handle) -> void
template <class Self>
auto register_name(Self* self, const caf::actor& agent, std::string name,
                   caf::actor handle, caf::timespan timeout) {
  return self->request(agent, timeout, register_atom::value, std::move(name),
                       std::move(handle));
}

/// (whereis_atom, name) -> caf::actor
template <class Self>
auto whereis(Self* self, const caf::actor& agent, std::string name,
             caf::timespan timeout) {
  return self->request(agent, timeout, whereis_atom::value, std::move(name));
}

/// (group_join_atom, group, handle) -> void
template <class Self>
auto group_join(Self* self, const caf::actor& agent, std::string group,
                caf::actor handle, caf::timespan timeout) {
  return self->request(agent, timeout, group_join_atom::value, std::move(group),
                       std::move(handle));
}

/// (group_members_atom, group) -> std::vector<caf::actor>
template <class Self>
auto group_members(Self* self, const caf::actor& agent, std::string group,
                   caf::timespan timeout) {
  return self->request(agent, timeout, group_members_atom::value,
                       std::move(group));
}

/// (subscribe_atom, subscriber): member_event messages to `subscriber`.
template <class Self>
void subscribe(Self* self, const caf::actor& agent, caf::actor subscriber) {
  self->send(agent, subscribe_atom::value, std::move(subscriber));
}

/// (unregister_atom, name) -> void
template <class Self>
auto unregister_name(Self* self, const caf::actor& agent, std::string name,
                     caf::timespan timeout) {
  return self->request(agent, timeout, unregister_atom::value,
                       std::move(name));
}

/// (await_name_atom, name, max_wait) -> caf::actor. The agent answers
/// within `max_wait`; the request's own timeout is a little longer.
template <class Self>
auto await_name(Self* self, const caf::actor& agent, std::string name,
                caf::timespan max_wait) {
  return self->request(agent,
                       max_wait + max_wait / 10 + std::chrono::milliseconds(1),
                       await_name_atom::value, std::move(name), max_wait);
}

/// (group_leave_atom, group, handle) -> void
template <class Self>
auto group_leave(Self* self, const caf::actor& agent, std::string group,
                 caf::actor handle, caf::timespan timeout) {
  return self->request(agent, timeout, group_leave_atom::value,
                       std::move(group), std::move(handle));
}

/// (monitor_node_atom, name, subscriber): one member_event to `subscriber`
/// when member `name` goes down or leaves.
template <class Self>
void monitor_node(Self* self, const caf::actor& agent, std::string name,
                  caf::actor subscriber) {
  self->send(agent, monitor_node_atom::value, std::move(name),
             std::move(subscriber));
}

} // namespace cluster_api

} // namespace troupe
