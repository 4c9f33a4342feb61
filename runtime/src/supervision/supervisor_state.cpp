#include "supervision/supervisor_state.hpp"
#include "supervision/supervisor_protocol.hpp"

#include "troupe/atoms.hpp"
#include "troupe/log.hpp"

namespace troupe::detail::sup {

std::string quoted(const std::string& x) {
  return "\"" + x + "\"";
}

void emit(sup_actor* self, supervisor_event::kind_t kind, const std::string& id,
          caf::actor child, caf::error reason) {
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

void release_name(sup_actor* self, child_slot& slot, bool final) {
  if (slot.forwarder)
    self->send(slot.forwarder, unbind_atom::value, final);
}

void erase_slot(sup_actor* self, size_t idx) {
  auto& xs = self->state.children;
  release_name(self, xs[idx], true);
  xs.erase(xs.begin() + static_cast<ptrdiff_t>(idx));
}

std::deque<std::string> running_ids_reversed(sup_actor* self) {
  std::deque<std::string> ids;
  auto& xs = self->state.children;
  for (size_t i = xs.size(); i-- > 0;)
    if (xs[i].handle)
      ids.push_back(xs[i].spec.id);
  return ids;
}

} // namespace troupe::detail::sup
