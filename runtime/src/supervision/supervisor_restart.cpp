// What a supervisor does when a child ends (OTP's handle_info({'EXIT', ...})
// and restart/2): a child it stopped moves the stop sequence on; any other
// exit goes to restart_policy, and the plan is carried out with start_slot
// and the stop sequence.

#include <algorithm>
#include <chrono>

#include <caf/system_messages.hpp>

#include "supervision/supervisor_state.hpp"
#include "supervision/supervisor_protocol.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"

namespace troupe::detail::sup {

namespace {

void escalate(sup_actor* self, const std::string& id,
              const caf::error& reason) {
  auto& st = self->state;
  // Counted before the event is reported, so whoever sees the event sees
  // the count.
  metrics::get_counter("troupe_supervisor_escalations_total",
                       "times a supervisor exceeded its restart intensity "
                       "and gave up",
                       {{"supervisor", st.name}})
    .add();
  emit(self, supervisor_event::escalating, id, {}, reason);
  auto period
    = std::chrono::duration_cast<std::chrono::milliseconds>(st.spec->period);
  auto msg = "supervisor " + quoted(st.name) + ": child " + quoted(id)
             + " needed more than " + std::to_string(st.spec->intensity)
             + " restarts within " + std::to_string(period.count())
             + " ms; last exit: " + render(reason);
  log::error("supervisor", msg);
  terminate_all(self, make_error(errc::restart_intensity_exceeded, msg));
}

/// False (after escalating) when one more restart exceeds the intensity.
bool note_restart(sup_actor* self, const std::string& id,
                  const caf::error& reason) {
  if (self->state.restarts.note_restart(std::chrono::steady_clock::now())) {
    // Restarts are rare: the registry's lock per restart costs nothing.
    metrics::get_counter("troupe_supervisor_restarts_total",
                         "restarts a supervisor decided on",
                         {{"supervisor", self->state.name}})
      .add();
    return true;
  }
  escalate(self, id, reason);
  return false;
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
      // Temporary children stopped for a sibling's restart are gone.
      erase_slot(self, i);
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

/// A running child ended with `reason`: restart it and its siblings as the
/// strategy says, or give up when the intensity is exceeded.
void on_child_exit(sup_actor* self, size_t idx, caf::error reason) {
  auto& st = self->state;
  auto& slot = st.children[idx];
  auto id = slot.spec.id;
  slot.handle = nullptr;
  emit(self, supervisor_event::child_exited, id, {}, reason);
  if (!supervision::should_restart(slot.spec.restart_type, reason)) {
    if (slot.spec.restart_type == restart::temporary || slot.dynamic)
      erase_slot(self, idx);
    else
      release_name(self, slot, true);
    return;
  }
  if (!note_restart(self, id, reason))
    return;
  release_name(self, slot, false);
  // The policy sees the children that were running, the failed one included.
  std::vector<std::string> running;
  size_t failed = 0;
  for (size_t i = 0; i < st.children.size(); ++i) {
    if (i == idx)
      failed = running.size();
    if (i == idx || st.children[i].handle)
      running.push_back(st.children[i].spec.id);
  }
  auto todo = supervision::plan(st.spec->strategy, running, failed);
  if (todo.stop.empty()) {
    restart_ids(self, todo.restart);
    return;
  }
  st.stops.run({todo.stop.begin(), todo.stop.end()},
               [self, ids = std::move(todo.restart)] {
                 restart_ids(self, ids);
               });
}

} // namespace

void schedule_retry(sup_actor* self, const std::string& id,
                    const caf::error& reason) {
  if (note_restart(self, id, reason))
    self->send(self, retry_atom::value, id);
}

void replay_deferred_exits(sup_actor* self) {
  auto& st = self->state;
  while (!st.deferred_exits.empty() && !st.stops.active() && !st.going_down) {
    auto [addr, reason] = std::move(st.deferred_exits.front());
    st.deferred_exits.pop_front();
    if (auto idx = find_addr(self, addr); idx != npos)
      on_child_exit(self, idx, std::move(reason));
  }
}

void on_child_down(sup_actor* self, caf::down_msg& em) {
  auto& st = self->state;
  if (st.stops.take(em.source)) {
    if (auto idx = find_addr(self, em.source); idx != npos) {
      auto& slot = st.children[idx];
      slot.handle = nullptr;
      emit(self, supervisor_event::child_stopped, slot.spec.id, {}, em.reason);
      if (slot.dynamic && !st.going_down)
        erase_slot(self, idx);
    }
    st.stops.next();
    return;
  }
  if (auto idx = find_addr(self, em.source); idx != npos) {
    auto& slot = st.children[idx];
    if (st.going_down || st.stops.queued(slot.spec.id)) {
      // It was about to be stopped anyway.
      slot.handle = nullptr;
      emit(self, supervisor_event::child_exited, slot.spec.id, {}, em.reason);
      return;
    }
    if (st.stops.active()) {
      st.deferred_exits.emplace_back(em.source, em.reason);
      return;
    }
    on_child_exit(self, idx, em.reason);
  }
}

caf::message_handler retries(sup_actor* self) {
  return {
    [self](retry_atom, std::string& id) {
      if (self->state.going_down)
        return;
      auto idx = find_id(self, id);
      if (idx == npos || self->state.children[idx].handle)
        return;
      if (auto err = start_slot(self, idx))
        schedule_retry(self, id, err);
    },
  };
}

} // namespace troupe::detail::sup
