// OTP supervisor semantics on CAF. The supervisor links to every child and
// traps exits (CAF's exit handler), like an OTP supervisor with trap_exit:
// a child's exit_msg is a child failure, any other exit_msg is the parent
// going down. This file is the actor itself: it spawns children, hands their
// exits to the restart policy (supervisor_restart.cpp) and terminates in
// order. While a stop sequence runs (stop_sequence.hpp), API requests wait in
// the mailbox and further child exits in `deferred_exits`, so every decision
// is taken on a consistent view of the children.

#include "supervision/supervisor_actor.hpp"

#include <caf/actor_config.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>

#include "supervision/cluster_names.hpp"
#include "supervision/name_table.hpp"
#include "supervision/supervisor_state.hpp"
#include "supervision/supervisor_protocol.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/supervisor.hpp"

namespace troupe::detail::sup {

namespace {

/// The running child `id` as the stop sequence needs it.
stop_sequence::child_ref stoppable(sup_actor* self, const std::string& id) {
  auto idx = find_id(self, id);
  if (idx == npos)
    return {};
  auto& slot = self->state.children[idx];
  return {slot.handle, slot.spec.shutdown_timeout};
}

caf::expected<caf::actor> spawn_child(sup_actor* self, const child_spec& spec) {
  auto what = "child " + quoted(spec.id) + " of supervisor "
              + quoted(self->state.name);
  if (auto* nested = std::get_if<nested_supervisor>(&spec.start)) {
    auto sup = spawn_supervisor_linked(self, *nested, spec.id);
    self->monitor(sup);
    self->state.linked.insert(sup.address());
    return sup;
  }
  caf::actor child;
  if (auto* spawner = std::get_if<child_spawner>(&spec.start)) {
    auto res = *spawner ? (*spawner)(self, spec, self->state.name)
                        : caf::expected<caf::actor>{caf::actor{}};
    if (!res)
      return res.error() == errc::child_start_failed
               ? res.error()
               : make_error(errc::child_start_failed,
                            what + ": " + render(res.error()));
    if (!*res)
      return make_error(errc::child_start_failed,
                        what + ": its spawner made no actor");
    child = std::move(*res);
  } else if (auto* factory = std::get_if<caf::actor_factory>(&spec.start);
             factory && *factory) {
    caf::actor_config cfg{self->context()};
    auto args = spec.args;
    auto res = (*factory)(cfg, args);
    if (!res.first)
      return make_error(errc::child_start_failed,
                        what + ": arguments " + to_string(spec.args)
                          + " do not match its behavior function");
    child = caf::actor_cast<caf::actor>(std::move(res.first));
  } else if (auto* type = std::get_if<registered_type>(&spec.start);
             type && !type->name.empty()) {
    auto res = self->system().spawn<caf::actor>(type->name, spec.args);
    if (!res)
      return make_error(errc::child_start_failed,
                        what + ": cannot spawn type " + quoted(type->name)
                          + ": " + render(res.error()));
    child = std::move(*res);
  } else {
    return make_error(errc::child_start_failed,
                      what + " has neither a behavior nor a type name");
  }
  // The link takes the child down with the supervisor; the monitor reports
  // the child's end. Links alone would not do: CAF removes a link when one
  // side receives an exit_msg through it, so a child stopped with send_exit
  // never reports back. Monitoring an actor that already died reports at
  // once, so a child that fails on its first message is never missed.
  self->link_to(child);
  self->monitor(child);
  self->state.linked.insert(child.address());
  return child;
}

} // namespace

/// The cluster side of a new forwarder (child_spec::cluster_wide,
/// in_group): once per forwarder, which every incarnation shares. A remote
/// child's name is registered by its stand-in, per incarnation.
static void publish_in_cluster(sup_actor* self, const child_slot& slot) {
  using namespace detail::cluster_names;
  if (std::holds_alternative<child_spawner>(slot.spec.start))
    return;
  auto who = "supervisor " + quoted(self->state.name) + ", child "
             + quoted(slot.spec.id);
  if (slot.spec.in_cluster)
    publish(self->system(), {request::register_name, slot.spec.name,
                             slot.forwarder, who});
  for (auto& group : slot.spec.groups)
    publish(self->system(),
            {request::join_group, group, slot.forwarder, who});
}

caf::error start_slot(sup_actor* self, size_t idx) {
  auto& st = self->state;
  auto& slot = st.children[idx];
  if (slot.spec.name.empty() && (slot.spec.in_cluster || !slot.spec.groups.empty())) {
    auto err = make_error(errc::child_start_failed,
                          "child " + quoted(slot.spec.id)
                            + ": cluster_wide() and in_group() act on the "
                              "child's stable name; give it one with "
                              ".named(\"...\")");
    emit(self, supervisor_event::start_failed, slot.spec.id, {}, err);
    return err;
  }
  if (!slot.spec.name.empty() && !slot.forwarder) {
    auto fwd = st.names->acquire(self->system(), slot.spec.name,
                                 caf::actor_cast<caf::actor>(self),
                                 st.spec->name_buffer);
    if (!fwd) {
      emit(self, supervisor_event::start_failed, slot.spec.id, {}, fwd.error());
      return fwd.error();
    }
    slot.forwarder = std::move(*fwd);
    publish_in_cluster(self, slot);
  }
  auto child = spawn_child(self, slot.spec);
  if (!child) {
    emit(self, supervisor_event::start_failed, slot.spec.id, {}, child.error());
    return child.error();
  }
  slot.handle = std::move(*child);
  if (slot.forwarder)
    self->send(slot.forwarder, bind_atom::value, slot.handle);
  emit(self, supervisor_event::child_started, slot.spec.id, slot.handle);
  return caf::none;
}

void terminate_all(sup_actor* self, caf::error reason) {
  auto& st = self->state;
  if (st.going_down)
    return;
  st.going_down = true;
  st.terminating = std::move(reason);
  st.stops.refuse(make_error(errc::no_such_child,
                             "supervisor " + quoted(st.name)
                               + " terminated before handling the request"));
  st.stops.run(running_ids_reversed(self), [self] {
    auto& st = self->state;
    // A top-level tree shut down on purpose takes its names with it; a
    // nested one leaves them buffering for its restarted incarnation.
    if (!st.parent && supervision::is_normal_exit(st.terminating))
      for (auto& slot : st.children)
        release_name(self, slot, true);
    else
      st.names->orphan_all(self->address());
    self->quit(st.terminating);
  });
}

namespace {

void on_exit_msg(sup_actor* self, caf::exit_msg& em) {
  auto& st = self->state;
  // A child's exit arrives as a down_msg too (see spawn_child); only that
  // one is used, because CAF drops the link when it delivers an exit_msg.
  if (st.linked.erase(em.source) > 0)
    return;
  // Not a child: our parent (or an actor linked to us) terminated. OTP
  // supervisors terminate with it; a stray normal exit is ignored.
  if (em.source == st.parent || !supervision::is_normal_exit(em.reason)
      || em.reason == caf::exit_reason::user_shutdown)
    terminate_all(self, em.reason);
}

/// Checks the spec and starts the children in order (OTP's init/1).
caf::error start_children(sup_actor* self) {
  auto& st = self->state;
  if (st.spec->strategy == restart_strategy::simple_one_for_one) {
    if (st.spec->children.size() == 1)
      return caf::none;
    return make_error(errc::wrong_strategy,
                      "supervisor " + quoted(st.name)
                        + ": simple_one_for_one needs exactly one child "
                          "spec (the template), got "
                        + std::to_string(st.spec->children.size()));
  }
  for (auto& cs : st.spec->children) {
    if (find_id(self, cs.id) != npos)
      return make_error(errc::child_already_exists,
                        "supervisor " + quoted(st.name)
                          + ": two children with id " + quoted(cs.id));
    st.children.push_back(child_slot{cs, {}, {}, false});
    if (auto err = start_slot(self, st.children.size() - 1))
      return err;
  }
  return caf::none;
}

void supervisor_actor(sup_actor* self,
                      std::shared_ptr<const supervisor_spec> spec,
                      std::string name, caf::actor_addr parent) {
  auto& st = self->state;
  st.spec = std::move(spec);
  st.name = std::move(name);
  st.parent = std::move(parent);
  st.names = name_table::of(self->system());
  st.restarts = supervision::restart_window{st.spec->intensity,
                                            st.spec->period};
  st.stops.init(self, {
    .owner = st.name,
    .find = [self](const std::string& id) { return stoppable(self, id); },
    .stopping = [self](const std::string& id) {
      auto& slot = self->state.children[find_id(self, id)];
      // The child drops its link when it receives our exit_msg.
      self->state.linked.erase(slot.handle.address());
      release_name(self, slot, false);
    },
    .idle = [self] { replay_deferred_exits(self); },
    .meanwhile = queries(self),
  });
  self->set_exit_handler(
    [self](caf::exit_msg& em) { on_exit_msg(self, em); });
  self->set_down_handler(
    [self](caf::down_msg& dm) { on_child_down(self, dm); });
  // Installed before any child starts: a failing init runs a stop sequence,
  // which pushes its own behavior on top of this one.
  self->become(queries(self)
                 .or_else(requests(self))
                 .or_else(retries(self))
                 .or_else(st.stops.timer()));
  if (auto err = start_children(self))
    terminate_all(self, std::move(err));
}

} // namespace

} // namespace troupe::detail::sup

namespace troupe::detail {

caf::actor spawn_supervisor_linked(caf::local_actor* parent,
                                   std::shared_ptr<const supervisor_spec> spec,
                                   std::string name) {
  return parent->spawn<caf::linked>(sup::supervisor_actor, std::move(spec),
                                    std::move(name), parent->address());
}

caf::actor spawn_supervisor_top(caf::actor_system& sys,
                                std::shared_ptr<const supervisor_spec> spec,
                                std::string name) {
  return sys.spawn(sup::supervisor_actor, std::move(spec), std::move(name),
                   caf::actor_addr{});
}

} // namespace troupe::detail
