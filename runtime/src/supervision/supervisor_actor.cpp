// OTP supervisor semantics on CAF. The supervisor links to every child and
// traps exits (CAF's exit handler), like an OTP supervisor with trap_exit:
// a child's exit_msg is a child failure, any other exit_msg is the parent
// going down. Stopping children is an asynchronous sequence (one child at a
// time, reverse start order, shutdown timeout then kill); while it runs, API
// requests and further child exits are deferred and replayed afterwards, so
// every decision is taken on a consistent view of the children.

#include "supervision/supervisor_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <set>

#include <caf/actor_config.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "supervision/name_table.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/supervisor.hpp"

namespace troupe::detail {

namespace {

constexpr size_t npos = static_cast<size_t>(-1);

struct child_slot {
  child_spec spec;
  caf::actor handle;
  caf::actor forwarder;
  bool dynamic = false;
};

struct supervisor_state {
  std::shared_ptr<const supervisor_spec> spec;
  std::string name;
  caf::actor_addr parent;
  std::shared_ptr<name_table> names;
  std::vector<child_slot> children; // start order
  std::deque<std::chrono::steady_clock::time_point> restarts;
  uint64_t dynamic_seq = 0;
  // The stop sequence in progress: ids to stop, the front one is awaited.
  bool busy = false;
  std::deque<std::string> stop_queue;
  caf::actor_addr awaiting;
  uint64_t stop_token = 0;
  std::function<void()> after_stop;
  // Set once the supervisor itself is terminating.
  bool going_down = false;
  caf::error terminating;
  // Work that arrived during a stop sequence.
  std::vector<std::pair<caf::response_promise, caf::message>> deferred;
  std::deque<std::pair<caf::actor_addr, caf::error>> deferred_exits;
  // Children whose link to us still stands; their exit_msg is expected and
  // ignored (the down_msg carries the same news).
  std::set<caf::actor_addr> linked;
};

using sup_actor = caf::stateful_actor<supervisor_state>;

bool is_normal(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal
         || reason == caf::exit_reason::user_shutdown;
}

std::string quoted(const std::string& x) {
  return "\"" + x + "\"";
}

void emit(sup_actor* self, supervisor_event::kind_t kind, const std::string& id,
          caf::actor child = {}, caf::error reason = {}) {
  auto& st = self->state;
  supervisor_event ev{kind, st.name, id, std::move(child), std::move(reason)};
  if (log::current_level() <= log::level::debug)
    log::debug("supervisor", to_string(ev));
  if (st.spec->on_event)
    st.spec->on_event(ev);
}

size_t find_id(sup_actor* self, const std::string& id) {
  auto& xs = self->state.children;
  for (size_t i = 0; i < xs.size(); ++i)
    if (xs[i].spec.id == id)
      return i;
  return npos;
}

size_t find_addr(sup_actor* self, const caf::actor_addr& addr) {
  auto& xs = self->state.children;
  for (size_t i = 0; i < xs.size(); ++i)
    if (xs[i].handle && xs[i].handle.address() == addr)
      return i;
  return npos;
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

caf::error start_slot(sup_actor* self, size_t idx) {
  auto& st = self->state;
  auto& slot = st.children[idx];
  if (!slot.spec.name.empty() && !slot.forwarder) {
    auto fwd = st.names->acquire(self->system(), slot.spec.name,
                                 caf::actor_cast<caf::actor>(self),
                                 st.spec->name_buffer);
    if (!fwd) {
      emit(self, supervisor_event::start_failed, slot.spec.id, {}, fwd.error());
      return fwd.error();
    }
    slot.forwarder = std::move(*fwd);
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

void release_name(sup_actor* self, child_slot& slot, bool final) {
  if (slot.forwarder)
    self->send(slot.forwarder, unbind_atom::value, final);
}

void erase_slot(sup_actor* self, size_t idx) {
  auto& xs = self->state.children;
  release_name(self, xs[idx], true);
  xs.erase(xs.begin() + static_cast<ptrdiff_t>(idx));
}

/// Records a restart; false when it exceeds intensity within period.
bool note_restart(sup_actor* self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  st.restarts.push_back(now);
  while (!st.restarts.empty() && now - st.restarts.front() > st.spec->period)
    st.restarts.pop_front();
  return st.restarts.size() <= static_cast<size_t>(std::max(st.spec->intensity, 0));
}

void stop_next(sup_actor* self);
void terminate_all(sup_actor* self, caf::error reason);
void replay_deferred(sup_actor* self);

void stop_then(sup_actor* self, std::deque<std::string> ids,
               std::function<void()> cont) {
  auto& st = self->state;
  st.busy = true;
  st.stop_queue = std::move(ids);
  st.after_stop = std::move(cont);
  stop_next(self);
}

void stop_next(sup_actor* self) {
  auto& st = self->state;
  while (!st.stop_queue.empty()) {
    auto idx = find_id(self, st.stop_queue.front());
    if (idx == npos || !st.children[idx].handle) {
      st.stop_queue.pop_front();
      continue;
    }
    auto& slot = st.children[idx];
    if (st.awaiting == slot.handle.address())
      return; // already asked, still waiting
    st.awaiting = slot.handle.address();
    // The child drops its link when it receives our exit_msg.
    st.linked.erase(st.awaiting);
    release_name(self, slot, false);
    auto timeout = slot.spec.shutdown_timeout;
    if (timeout.count() <= 0) {
      self->send_exit(slot.handle, caf::exit_reason::kill);
    } else {
      self->send_exit(slot.handle, caf::exit_reason::user_shutdown);
      if (timeout != caf::timespan::max())
        self->delayed_send(self, timeout, shutdown_timeout_atom::value,
                           ++st.stop_token);
    }
    return;
  }
  st.busy = false;
  st.awaiting = nullptr;
  auto cont = std::move(st.after_stop);
  st.after_stop = nullptr;
  if (cont)
    cont();
  if (!st.busy)
    replay_deferred(self);
}

std::deque<std::string> running_ids_reversed(sup_actor* self, size_t from = 0,
                                             size_t except = npos) {
  std::deque<std::string> ids;
  auto& xs = self->state.children;
  for (size_t i = xs.size(); i-- > from;)
    if (i != except && xs[i].handle)
      ids.push_back(xs[i].spec.id);
  return ids;
}

void escalate(sup_actor* self, const std::string& id, const caf::error& reason) {
  auto& st = self->state;
  emit(self, supervisor_event::escalating, id, {}, reason);
  auto msg = "supervisor " + quoted(st.name) + ": child " + quoted(id)
             + " needed more than " + std::to_string(st.spec->intensity)
             + " restarts within "
             + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                st.spec->period)
                                .count())
             + " ms; last exit: " + render(reason);
  log::error("supervisor", msg);
  terminate_all(self, make_error(errc::restart_intensity_exceeded, msg));
}

void schedule_retry(sup_actor* self, const std::string& id,
                    const caf::error& reason) {
  if (!note_restart(self))
    escalate(self, id, reason);
  else
    self->send(self, retry_atom::value, id);
}

/// Starts the stopped children among `ids`, in start order.
void restart_ids(sup_actor* self, const std::vector<std::string>& ids) {
  auto& st = self->state;
  for (size_t i = 0; i < st.children.size() && !st.going_down;) {
    auto& slot = st.children[i];
    if (slot.handle
        || std::find(ids.begin(), ids.end(), slot.spec.id) == ids.end()) {
      ++i;
      continue;
    }
    if (slot.spec.restart_type == restart::temporary) {
      erase_slot(self, i); // temporary children stopped for a sibling's restart are gone
      continue;
    }
    if (auto err = start_slot(self, i)) {
      schedule_retry(self, slot.spec.id, err);
      if (st.going_down)
        return;
    }
    ++i;
  }
}

void on_child_exit(sup_actor* self, size_t idx, caf::error reason) {
  auto& st = self->state;
  auto& slot = st.children[idx];
  auto id = slot.spec.id;
  slot.handle = nullptr;
  emit(self, supervisor_event::child_exited, id, {}, reason);
  bool again = slot.spec.restart_type == restart::permanent
               || (slot.spec.restart_type == restart::transient
                   && !is_normal(reason));
  if (!again) {
    if (slot.spec.restart_type == restart::temporary || slot.dynamic)
      erase_slot(self, idx);
    else
      release_name(self, slot, true);
    return;
  }
  if (!note_restart(self)) {
    escalate(self, id, reason);
    return;
  }
  release_name(self, slot, false);
  switch (st.spec->strategy) {
    case restart_strategy::one_for_one:
    case restart_strategy::simple_one_for_one:
      restart_ids(self, {id});
      break;
    case restart_strategy::one_for_all: {
      auto stop = running_ids_reversed(self);
      std::vector<std::string> ids{stop.begin(), stop.end()};
      ids.push_back(id);
      stop_then(self, std::move(stop), [self, ids] { restart_ids(self, ids); });
      break;
    }
    case restart_strategy::rest_for_one: {
      auto stop = running_ids_reversed(self, idx + 1);
      std::vector<std::string> ids{stop.begin(), stop.end()};
      ids.push_back(id);
      stop_then(self, std::move(stop), [self, ids] { restart_ids(self, ids); });
      break;
    }
  }
}

void fail_deferred(sup_actor* self) {
  auto& st = self->state;
  for (auto& [rp, msg] : st.deferred)
    if (rp.pending())
      rp.deliver(make_error(errc::no_such_child,
                            "supervisor " + quoted(st.name)
                              + " terminated before handling the request"));
  st.deferred.clear();
}

void terminate_all(sup_actor* self, caf::error reason) {
  auto& st = self->state;
  if (st.going_down)
    return;
  st.going_down = true;
  st.terminating = std::move(reason);
  auto quit = [self] {
    auto& st = self->state;
    fail_deferred(self);
    // A top-level tree shut down on purpose takes its names with it; a
    // nested one leaves them buffering for its restarted incarnation.
    if (!st.parent && is_normal(st.terminating))
      for (auto& slot : st.children)
        release_name(self, slot, true);
    else
      st.names->orphan_all(self->address());
    self->quit(st.terminating);
  };
  auto ids = running_ids_reversed(self);
  if (st.busy && !st.stop_queue.empty()) {
    auto current = st.stop_queue.front();
    ids.erase(std::remove(ids.begin(), ids.end(), current), ids.end());
    ids.push_front(current);
    st.stop_queue = std::move(ids);
    st.after_stop = quit;
    return;
  }
  stop_then(self, std::move(ids), quit);
}

void replay_deferred(sup_actor* self) {
  auto& st = self->state;
  while (!st.deferred_exits.empty() && !st.busy && !st.going_down) {
    auto [addr, reason] = std::move(st.deferred_exits.front());
    st.deferred_exits.pop_front();
    if (auto idx = find_addr(self, addr); idx != npos)
      on_child_exit(self, idx, std::move(reason));
  }
  if (st.busy || st.going_down)
    return;
  // Requests go back through the mailbox with their original sender and
  // request id, so callers get their answers as if nothing had happened.
  auto me = caf::actor_cast<caf::actor>(self);
  auto msgs = std::move(st.deferred);
  st.deferred.clear();
  for (auto& [rp, msg] : msgs)
    rp.delegate(me, std::move(msg));
}

/// While a stop sequence runs, park the current request for later.
bool deferred_if_busy(sup_actor* self, caf::response_promise& rp) {
  auto& st = self->state;
  if (!st.busy)
    return false;
  rp = self->make_response_promise();
  st.deferred.emplace_back(
    rp, self->current_mailbox_element()->copy_content_to_message());
  return true;
}

void on_child_down(sup_actor* self, caf::down_msg& em) {
  auto& st = self->state;
  if (st.busy && em.source == st.awaiting) {
    auto idx = find_addr(self, em.source);
    st.awaiting = nullptr;
    if (!st.stop_queue.empty())
      st.stop_queue.pop_front();
    if (idx != npos) {
      auto& slot = st.children[idx];
      slot.handle = nullptr;
      emit(self, supervisor_event::child_stopped, slot.spec.id, {}, em.reason);
      if (slot.dynamic && !st.going_down)
        erase_slot(self, idx);
    }
    stop_next(self);
    return;
  }
  if (auto idx = find_addr(self, em.source); idx != npos) {
    auto& slot = st.children[idx];
    if (st.going_down
        || std::find(st.stop_queue.begin(), st.stop_queue.end(), slot.spec.id)
             != st.stop_queue.end()) {
      // It was about to be stopped anyway.
      slot.handle = nullptr;
      emit(self, supervisor_event::child_exited, slot.spec.id, {}, em.reason);
      return;
    }
    if (st.busy) {
      st.deferred_exits.emplace_back(em.source, em.reason);
      return;
    }
    on_child_exit(self, idx, em.reason);
  }
}

void on_exit_msg(sup_actor* self, caf::exit_msg& em) {
  auto& st = self->state;
  // A child's exit arrives as a down_msg too (see spawn_child); only that
  // one is used, because CAF drops the link when it delivers an exit_msg.
  if (st.linked.erase(em.source) > 0)
    return;
  // Not a child: our parent (or an actor linked to us) terminated. OTP
  // supervisors terminate with it; a stray normal exit is ignored.
  if (em.source == st.parent || !is_normal(em.reason)
      || em.reason == caf::exit_reason::user_shutdown)
    terminate_all(self, em.reason);
}

std::vector<child_info> children_of(sup_actor* self) {
  std::vector<child_info> result;
  for (auto& slot : self->state.children)
    result.push_back(child_info{slot.spec.id, slot.handle,
                                slot.spec.restart_type,
                                slot.spec.is_supervisor(), slot.spec.name});
  return result;
}

caf::result<caf::actor> add_and_start(sup_actor* self, child_slot slot) {
  auto& st = self->state;
  st.children.push_back(std::move(slot));
  auto idx = st.children.size() - 1;
  if (auto err = start_slot(self, idx)) {
    st.children.pop_back();
    return err;
  }
  return st.children[idx].handle;
}

caf::result<void> stop_child_at(sup_actor* self, size_t idx) {
  auto& st = self->state;
  auto& slot = st.children[idx];
  auto id = slot.spec.id;
  auto erase_after = slot.dynamic
                     || slot.spec.restart_type == restart::temporary;
  if (!slot.handle) {
    if (erase_after)
      erase_slot(self, idx);
    return caf::unit;
  }
  auto rp = self->make_response_promise();
  stop_then(self, {id}, [self, id, erase_after, rp]() mutable {
    if (auto i = find_id(self, id); i != npos) {
      if (erase_after)
        erase_slot(self, i);
      else
        release_name(self, self->state.children[i], true);
    }
    rp.deliver(caf::unit);
  });
  return rp;
}

caf::behavior supervisor_actor(sup_actor* self,
                               std::shared_ptr<const supervisor_spec> spec,
                               std::string name, caf::actor_addr parent) {
  auto& st = self->state;
  st.spec = std::move(spec);
  st.name = std::move(name);
  st.parent = std::move(parent);
  st.names = name_table::of(self->system());
  self->set_exit_handler(
    [self](caf::exit_msg& em) { on_exit_msg(self, em); });
  self->set_down_handler(
    [self](caf::down_msg& dm) { on_child_down(self, dm); });
  auto init_failed = [self](caf::error err) {
    terminate_all(self, std::move(err));
  };
  if (st.spec->strategy == restart_strategy::simple_one_for_one) {
    if (st.spec->children.size() != 1)
      init_failed(make_error(errc::wrong_strategy,
                             "supervisor " + quoted(st.name)
                               + ": simple_one_for_one needs exactly one child "
                                 "spec (the template), got "
                               + std::to_string(st.spec->children.size())));
  } else {
    for (auto& cs : st.spec->children) {
      if (find_id(self, cs.id) != npos) {
        init_failed(make_error(errc::child_already_exists,
                               "supervisor " + quoted(st.name)
                                 + ": two children with id " + quoted(cs.id)));
        break;
      }
      st.children.push_back(child_slot{cs, {}, {}, false});
      if (auto err = start_slot(self, st.children.size() - 1)) {
        init_failed(std::move(err));
        break;
      }
    }
  }
  return {
    [self](start_child_atom, child_spec& cs) -> caf::result<caf::actor> {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp))
        return rp;
      auto& st = self->state;
      if (st.spec->strategy == restart_strategy::simple_one_for_one)
        return make_error(errc::wrong_strategy,
                          "supervisor " + quoted(st.name)
                            + " is simple_one_for_one: pass arguments, not a "
                              "child spec");
      if (find_id(self, cs.id) != npos)
        return make_error(errc::child_already_exists,
                          "supervisor " + quoted(st.name) + " already has "
                            + quoted(cs.id));
      return add_and_start(self, child_slot{std::move(cs), {}, {}, false});
    },
    [self](start_child_atom, caf::message& extra) -> caf::result<caf::actor> {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp))
        return rp;
      auto& st = self->state;
      if (st.spec->strategy != restart_strategy::simple_one_for_one)
        return make_error(errc::wrong_strategy,
                          "supervisor " + quoted(st.name)
                            + " is not simple_one_for_one: pass a child spec");
      child_slot slot{st.spec->children.front(), {}, {}, true};
      slot.spec.id += "#" + std::to_string(++st.dynamic_seq);
      slot.spec.name.clear(); // one name cannot stand for many children
      slot.spec.args = slot.spec.args + extra;
      return add_and_start(self, std::move(slot));
    },
    [self](terminate_child_atom, std::string& id) -> caf::result<void> {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp))
        return rp;
      auto idx = find_id(self, id);
      if (idx == npos)
        return make_error(errc::no_such_child, quoted(id));
      return stop_child_at(self, idx);
    },
    [self](terminate_child_atom, caf::actor& child) -> caf::result<void> {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp))
        return rp;
      auto idx = child ? find_addr(self, child.address()) : npos;
      if (idx == npos)
        return make_error(errc::no_such_child, "no running child with this handle");
      return stop_child_at(self, idx);
    },
    [self](restart_child_atom, std::string& id) -> caf::result<caf::actor> {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp))
        return rp;
      auto idx = find_id(self, id);
      if (idx == npos)
        return make_error(errc::no_such_child, quoted(id));
      auto& slot = self->state.children[idx];
      if (slot.handle)
        return make_error(errc::child_already_exists,
                          quoted(id) + " is running; terminate it first");
      if (auto err = start_slot(self, idx))
        return err;
      return self->state.children[idx].handle;
    },
    [self](delete_child_atom, std::string& id) -> caf::result<void> {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp))
        return rp;
      auto idx = find_id(self, id);
      if (idx == npos)
        return make_error(errc::no_such_child, quoted(id));
      if (self->state.children[idx].handle)
        return make_error(errc::child_already_exists,
                          quoted(id) + " is running; terminate it first");
      erase_slot(self, idx);
      return caf::unit;
    },
    [self](which_children_atom) -> caf::result<std::vector<child_info>> {
      if (self->state.going_down)
        return self->state.terminating;
      return children_of(self);
    },
    [self](count_children_atom) -> caf::result<child_counts> {
      // An answer also tells troupe::system::start that init succeeded.
      if (self->state.going_down)
        return self->state.terminating;
      child_counts c;
      for (auto& slot : self->state.children) {
        ++c.specs;
        if (slot.handle)
          ++c.active;
        if (slot.spec.is_supervisor())
          ++c.supervisors;
        else
          ++c.workers;
      }
      return c;
    },
    [self](retry_atom, std::string& id) {
      caf::response_promise rp;
      if (deferred_if_busy(self, rp) || self->state.going_down)
        return;
      auto idx = find_id(self, id);
      if (idx == npos || self->state.children[idx].handle)
        return;
      if (auto err = start_slot(self, idx))
        schedule_retry(self, id, err);
    },
    [self](shutdown_timeout_atom, uint64_t token) {
      auto& st = self->state;
      if (!st.busy || token != st.stop_token || !st.awaiting)
        return;
      auto idx = find_addr(self, st.awaiting);
      if (idx != npos) {
        log::warning("supervisor",
                     "supervisor " + quoted(st.name) + ": child "
                       + quoted(st.children[idx].spec.id)
                       + " did not stop within its shutdown timeout; killing it");
        self->send_exit(st.awaiting, caf::exit_reason::kill);
      }
    },
  };
}

} // namespace

caf::actor spawn_supervisor_linked(caf::local_actor* parent,
                                   std::shared_ptr<const supervisor_spec> spec,
                                   std::string name) {
  return parent->spawn<caf::linked>(supervisor_actor, std::move(spec),
                                    std::move(name), parent->address());
}

caf::actor spawn_supervisor_top(caf::actor_system& sys,
                                std::shared_ptr<const supervisor_spec> spec,
                                std::string name) {
  return sys.spawn(supervisor_actor, std::move(spec), std::move(name),
                   caf::actor_addr{});
}

} // namespace troupe::detail
