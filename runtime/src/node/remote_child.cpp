// The local stand-in of a remote child. The supervisor's logic is
// synchronous and local (spawn, link, monitor, bind the stable name), while
// starting an actor on another node is an asynchronous request that may fail
// or outlive a node. So the supervisor supervises a small local actor that
//  - asks the node agent for the members, picks a worker by the child's
//    placement and asks that member's agent to spawn the exported type,
//    trying the next member when one does not answer (it may have just died
//    without the membership knowing yet);
//  - links to and monitors the remote actor, and ends with the remote
//    actor's exit reason: a node that dies ends it with
//    remote_link_unreachable, which the supervisor treats as a crash and
//    restarts, and the new stand-in places the child on a live member;
//  - forwards every message to the remote actor with sender and request id
//    preserved (buffered, bounded, until the remote actor exists), so the
//    supervisor's stable name keeps working and follows the child;
//  - registers the remote actor under the child's stable name in the
//    cluster registry, so `whereis` on every node finds the new incarnation;
//  - on a shutdown from the supervisor, stops the remote actor with the same
//    reason and ends when it has ended (the link kills it if the supervisor
//    runs out of patience and kills the stand-in).

#include <algorithm>
#include <optional>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "core/request_buffer.hpp"
#include "troupe/atoms.hpp"
#include "troupe/child_spec.hpp"
#include "troupe/cluster_agent.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/member.hpp"
#include "troupe/node.hpp"
#include "troupe/placement.hpp"

namespace troupe::detail {

/// What a supervisor asked for: its child `id` (stable name `name`, if
/// any), an exported type to run with `args` on a member chosen by `where`.
struct remote_spec {
  std::string id;
  std::string name;
  std::string type_name;
  caf::message args;
  std::optional<placement> where;
};

} // namespace troupe::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::detail::remote_spec)

namespace troupe::detail {

namespace {

constexpr auto request_timeout = std::chrono::seconds(10);

/// Asks the membership again while no worker member is up.
using remote_child_atom = caf::atom_constant<caf::atom("t_rchild")>;

/// How long a stand-in waits for a worker member to come up before it
/// fails. Without the wait, a cluster that is briefly empty (every worker
/// restarting) would burn the supervisor's restart intensity in
/// milliseconds; with it, restarts pace themselves like OTP's would on a
/// crashing child.
constexpr auto placement_wait = std::chrono::seconds(10);
constexpr auto placement_retry = std::chrono::milliseconds(200);

/// How long the agent may wait for connections to worker members it
/// already knows before it answers a placement (see the agent's `place`).
constexpr auto placement_settle = std::chrono::seconds(5);

struct remote_child_state {
  remote_spec spec;
  std::string supervisor;
  caf::actor agent;
  caf::actor remote;
  std::string remote_node;
  std::vector<member_info> candidates; // still to try, in placement order
  request_buffer buffer; // messages for the remote actor, until it exists
  caf::error stopping; // set: the supervisor asked us to stop
  bool stop_requested = false;
  bool request_pending = false; // members or spawn request on its way
  // The member asked to spawn, watched so that a node that dies mid-request
  // is skipped at once instead of at the request's timeout; answers to
  // earlier attempts are ignored.
  caf::actor target_agent;
  std::string target_name;
  uint64_t attempt = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

using remote_child_actor = caf::stateful_actor<remote_child_state>;

std::string describe(remote_child_actor* self) {
  auto& st = self->state;
  return "remote child \"" + st.spec.id + "\" (type \"" + st.spec.type_name
         + "\") of supervisor \"" + st.supervisor + "\"";
}

void fail_buffered(remote_child_actor* self, const caf::error& reason) {
  auto dropped = self->state.buffer.fail_all(
    make_error(errc::receiver_down,
               describe(self) + " ended before it started: " + render(reason)));
  if (dropped > 0)
    log::warning("supervisor", describe(self) + ": dropped "
                                 + std::to_string(dropped)
                                 + " message(s) sent before it started");
}

void give_up(remote_child_actor* self, caf::error reason) {
  auto& st = self->state;
  auto why = render(reason);
  log::warning("supervisor", describe(self) + ": " + why,
               {{"child", st.spec.id},
                {"supervisor", st.supervisor},
                {"reason", why}});
  fail_buffered(self, reason);
  self->quit(std::move(reason));
}

/// Ends a stand-in that was asked to stop before its remote actor existed.
void finish_stop(remote_child_actor* self) {
  auto& st = self->state;
  fail_buffered(self, st.stopping);
  self->quit(st.stopping);
}

void started(remote_child_actor* self, caf::actor remote,
             const std::string& where) {
  auto& st = self->state;
  st.request_pending = false;
  if (st.stop_requested) {
    // Stopped while the spawn was on its way: the new actor must not outlive
    // its supervisor's decision.
    self->send_exit(remote, st.stopping);
    finish_stop(self);
    return;
  }
  st.remote = std::move(remote);
  st.remote_node = where;
  self->link_to(st.remote);
  self->monitor(st.remote);
  log::info("supervisor", describe(self) + " runs on node " + where,
            {{"child", st.spec.id},
             {"supervisor", st.supervisor},
             {"member", where}});
  st.buffer.flush_to(st.remote);
  if (!st.spec.name.empty())
    self->request(st.agent, request_timeout, register_atom::value, st.spec.name,
                  st.remote)
      .then([] {},
            [self](caf::error& err) {
              log::warning("supervisor",
                           describe(self) + ": cluster registration of \""
                             + self->state.spec.name
                             + "\" failed: " + render(err));
            });
}

void forget_target(remote_child_actor* self) {
  auto& st = self->state;
  if (st.target_agent)
    self->demonitor(st.target_agent);
  st.target_agent = nullptr;
}

void try_next(remote_child_actor* self, caf::error last_error);

void unreachable_target(remote_child_actor* self, const std::string& where,
                        const std::string& why) {
  auto& st = self->state;
  log::info("supervisor",
            describe(self) + ": node " + where + " is unreachable (" + why
              + "); trying the next member",
            {{"child", st.spec.id},
             {"supervisor", st.supervisor},
             {"member", where},
             {"reason", why}});
  try_next(self, make_error(errc::node_down, "node " + where + ": " + why));
}

void try_next(remote_child_actor* self, caf::error last_error) {
  auto& st = self->state;
  if (st.stop_requested) {
    finish_stop(self);
    return;
  }
  if (st.candidates.empty()) {
    give_up(self, last_error ? std::move(last_error)
                             : make_error(errc::no_members,
                                          "no worker member is up to run it"));
    return;
  }
  auto target = std::move(st.candidates.front());
  st.candidates.erase(st.candidates.begin());
  st.request_pending = true;
  auto attempt = ++st.attempt;
  st.target_agent = target.agent;
  st.target_name = target.name;
  self->monitor(target.agent);
  self->request(target.agent, request_timeout, spawn_atom::value,
                st.spec.type_name, st.spec.args)
    .then(
      [self, attempt, where = target.name](caf::actor& remote) {
        if (attempt != self->state.attempt) {
          // We moved on (the member looked dead): do not keep a stray.
          self->send_exit(remote, caf::exit_reason::user_shutdown);
          return;
        }
        forget_target(self);
        started(self, std::move(remote), where);
      },
      [self, attempt, where = target.name](caf::error& err) {
        auto& st = self->state;
        if (attempt != st.attempt)
          return;
        forget_target(self);
        st.request_pending = false;
        // A member that refuses the type refuses it everywhere (one type
        // set per cluster); a member that does not answer may be dead.
        bool unreachable = err == caf::sec::request_receiver_down
                           || err == caf::sec::request_timeout;
        if (!unreachable || st.stop_requested) {
          give_up(self, make_error(errc::child_start_failed,
                                   describe(self) + " on node " + where + ": "
                                     + render(err)));
          return;
        }
        unreachable_target(self, where, render(err));
      });
}

void place(remote_child_actor* self) {
  auto& st = self->state;
  st.request_pending = true;
  // The node's one placement state orders the workers (the placement's
  // choice first, then the others in turn), so that siblings, restarts and
  // node::spawn_on share one round-robin turn and least_loaded counts the
  // placements it just made.
  self
    ->request(st.agent, request_timeout, place_atom::value, *st.spec.where,
              caf::timespan{placement_settle})
    .then(
      [self](std::vector<member_info>& candidates) {
        auto& st = self->state;
        st.request_pending = false;
        if (st.stop_requested) {
          finish_stop(self);
          return;
        }
        if (candidates.empty()) {
          if (std::chrono::steady_clock::now() - st.started < placement_wait) {
            self->delayed_send(self, placement_retry,
                               remote_child_atom::value);
            return;
          }
          give_up(self, make_error(errc::no_members,
                                   describe(self)
                                     + ": no worker member came up within "
                                       "10 s to run it"));
          return;
        }
        st.candidates = std::move(candidates);
        try_next(self, caf::error{});
      },
      [self](caf::error& err) {
        self->state.request_pending = false;
        give_up(self, make_error(errc::child_start_failed,
                                 describe(self)
                                   + ": the node agent did not answer: "
                                   + render(err)));
      });
}

caf::behavior remote_child(remote_child_actor* self, remote_spec spec,
                           std::string supervisor) {
  auto& st = self->state;
  st.spec = std::move(spec);
  st.supervisor = std::move(supervisor);
  st.agent = local_agent(self->system());
  self->set_default_handler(
    [self](caf::scheduled_actor*, caf::message_view& view)
      -> caf::result<caf::message> {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      auto msg = view.move_content_to_message();
      if (st.remote)
        rp.delegate(st.remote, std::move(msg));
      else if (!st.buffer.hold(rp, msg) && !rp.async())
        rp.deliver(make_error(errc::name_buffer_full,
                              describe(self) + " is still starting"));
      return rp;
    });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.target_agent && dm.source == st.target_agent.address()) {
      // The member's agent died while it was asked to spawn.
      ++st.attempt;
      st.target_agent = nullptr;
      st.request_pending = false;
      unreachable_target(self, st.target_name, render(dm.reason));
      return;
    }
    if (st.remote && dm.source == st.remote.address()) {
      if (!st.stop_requested && dm.reason
          && dm.reason != caf::exit_reason::normal)
        log::warning("supervisor", describe(self) + " on node "
                                     + st.remote_node + " ended: "
                                     + render(dm.reason));
      self->quit(st.stop_requested ? st.stopping : dm.reason);
    }
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& st = self->state;
    if (st.remote && em.source == st.remote.address())
      return; // the down_msg carries the same news
    // The supervisor (or whoever we are linked to) stops us.
    st.stop_requested = true;
    st.stopping = em.reason;
    if (st.remote) {
      // Ends when the remote actor has ended (down handler).
      self->send_exit(st.remote, em.reason);
      if (em.reason == caf::exit_reason::kill)
        self->quit(em.reason);
      return;
    }
    // No remote actor yet: if a request is on its way, its answer ends us
    // (and stops what it created); a kill cannot wait.
    if (!st.request_pending || em.reason == caf::exit_reason::kill)
      finish_stop(self);
  });
  if (!st.agent) {
    give_up(self, make_error(errc::child_start_failed,
                             describe(self)
                               + " needs a cluster node in this process; "
                                 "start one with troupe::node::start"));
    return {};
  }
  place(self);
  // Never empty: an actor without a behavior ends once its last request is
  // answered. Every other message goes through the default handler above.
  return {
    [self](remote_child_atom) {
      auto& st = self->state;
      if (self->current_sender() != self->ctrl() || st.remote)
        return;
      if (st.stop_requested)
        finish_stop(self);
      else
        place(self);
    },
  };
}

} // namespace

} // namespace troupe::detail

namespace troupe {

child_spec& child_spec::on(const placement& where) & {
  auto* type = std::get_if<registered_type>(&start);
  if (!type) {
    start = child_spawner{
      [](caf::local_actor*, const child_spec& spec,
         const std::string& supervisor) -> caf::expected<caf::actor> {
        return make_error(errc::child_start_failed,
                          "child \"" + spec.id + "\" of supervisor \""
                            + supervisor
                            + "\": a remote child needs an exported type "
                              "name, e.g. child(\"id\", \"type\", args).on(...)");
      }};
    return *this;
  }
  start = child_spawner{
    [type_name = type->name, where](caf::local_actor* parent,
                                    const child_spec& spec,
                                    const std::string& supervisor)
      -> caf::expected<caf::actor> {
      detail::remote_spec rs{spec.id, spec.name, type_name, spec.args, where};
      return parent->spawn(detail::remote_child, std::move(rs), supervisor);
    }};
  return *this;
}

} // namespace troupe
