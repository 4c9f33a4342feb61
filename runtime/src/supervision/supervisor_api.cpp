// OTP's supervisor API as message handlers (start_child, terminate_child,
// restart_child, delete_child, which_children, count_children). None of them
// checks for a stop in progress: while children stop, the stop sequence's
// behavior lets only the queries through and the rest waits (see
// stop_sequence.hpp).

#include "supervision/supervisor_state.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail::sup {

namespace {

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
  st.stops.run({id}, [self, id, erase_after, rp]() mutable {
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

caf::error unknown_child(const std::string& id) {
  return make_error(errc::no_such_child, quoted(id));
}

caf::error still_running(const std::string& id) {
  return make_error(errc::child_already_exists,
                    quoted(id) + " is running; terminate it first");
}

} // namespace

caf::message_handler queries(sup_actor* self) {
  return {
    [self](which_children_atom) -> caf::result<std::vector<child_info>> {
      if (self->state.going_down)
        return self->state.terminating;
      std::vector<child_info> result;
      for (auto& slot : self->state.children)
        result.push_back(child_info{slot.spec.id, slot.handle,
                                    slot.spec.restart_type,
                                    slot.spec.is_supervisor(), slot.spec.name});
      return result;
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
  };
}

caf::message_handler requests(sup_actor* self) {
  return {
    [self](start_child_atom, child_spec& cs) -> caf::result<caf::actor> {
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
      auto& st = self->state;
      if (st.spec->strategy != restart_strategy::simple_one_for_one)
        return make_error(errc::wrong_strategy,
                          "supervisor " + quoted(st.name)
                            + " is not simple_one_for_one: pass a child spec");
      child_slot slot{st.spec->children.front(), {}, {}, true};
      // Two appends: GCC 12 reports a false -Wrestrict for "#" + to_string.
      slot.spec.id += '#';
      slot.spec.id += std::to_string(++st.dynamic_seq);
      slot.spec.name.clear(); // one name cannot stand for many children
      slot.spec.args = slot.spec.args + extra;
      return add_and_start(self, std::move(slot));
    },
    [self](terminate_child_atom, std::string& id) -> caf::result<void> {
      auto idx = find_id(self, id);
      if (idx == npos)
        return unknown_child(id);
      return stop_child_at(self, idx);
    },
    [self](terminate_child_atom, caf::actor& child) -> caf::result<void> {
      auto idx = child ? find_addr(self, child.address()) : npos;
      if (idx == npos)
        return make_error(errc::no_such_child,
                          "no running child with this handle");
      return stop_child_at(self, idx);
    },
    [self](restart_child_atom, std::string& id) -> caf::result<caf::actor> {
      auto idx = find_id(self, id);
      if (idx == npos)
        return unknown_child(id);
      if (self->state.children[idx].handle)
        return still_running(id);
      if (auto err = start_slot(self, idx))
        return err;
      return self->state.children[idx].handle;
    },
    [self](delete_child_atom, std::string& id) -> caf::result<void> {
      auto idx = find_id(self, id);
      if (idx == npos)
        return unknown_child(id);
      if (self->state.children[idx].handle)
        return still_running(id);
      erase_slot(self, idx);
      return caf::unit;
    },
  };
}

} // namespace troupe::detail::sup
