#include "troupe/supervisor.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "core/blocking_ask.hpp"
#include "supervision/supervisor_actor.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"

namespace troupe {

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec,
                            std::string name) {
  return detail::spawn_supervisor_top(
    sys, std::make_shared<const supervisor_spec>(std::move(spec)),
    std::move(name));
}

supervisor::supervisor(caf::actor_system& sys, caf::actor handle)
  : sys_(&sys), handle_(std::move(handle)) {
  // nop
}

namespace {

template <class T, class... Ts>
caf::expected<T> ask(caf::actor_system* sys, const caf::actor& dest,
                     caf::timespan timeout, Ts&&... xs) {
  if (!sys || !dest)
    return make_error(errc::no_such_child, "invalid supervisor handle");
  return detail::blocking_ask<T>(*sys, dest, timeout, std::forward<Ts>(xs)...);
}

template <class... Ts>
caf::error ask_void(caf::actor_system* sys, const caf::actor& dest,
                    caf::timespan timeout, Ts&&... xs) {
  if (!sys || !dest)
    return make_error(errc::no_such_child, "invalid supervisor handle");
  return detail::blocking_call(*sys, dest, timeout, std::forward<Ts>(xs)...);
}

} // namespace

caf::expected<caf::actor> supervisor::start_child(child_spec spec,
                                                  caf::timespan timeout) {
  return ask<caf::actor>(sys_, handle_, timeout, start_child_atom::value,
                         std::move(spec));
}

caf::expected<caf::actor> supervisor::start_child(caf::message args,
                                                  caf::timespan timeout) {
  return ask<caf::actor>(sys_, handle_, timeout, start_child_atom::value,
                         std::move(args));
}

caf::error supervisor::terminate_child(const std::string& id,
                                       caf::timespan timeout) {
  return ask_void(sys_, handle_, timeout, terminate_child_atom::value, id);
}

caf::error supervisor::terminate_child(const caf::actor& child,
                                       caf::timespan timeout) {
  return ask_void(sys_, handle_, timeout, terminate_child_atom::value, child);
}

caf::expected<caf::actor> supervisor::restart_child(const std::string& id,
                                                    caf::timespan timeout) {
  return ask<caf::actor>(sys_, handle_, timeout, restart_child_atom::value, id);
}

caf::error supervisor::delete_child(const std::string& id,
                                    caf::timespan timeout) {
  return ask_void(sys_, handle_, timeout, delete_child_atom::value, id);
}

caf::expected<std::vector<child_info>>
supervisor::which_children(caf::timespan timeout) {
  return ask<std::vector<child_info>>(sys_, handle_, timeout,
                                      which_children_atom::value);
}

caf::expected<child_counts> supervisor::count_children(caf::timespan timeout) {
  return ask<child_counts>(sys_, handle_, timeout, count_children_atom::value);
}

caf::error supervisor::shutdown(caf::timespan timeout) {
  if (!sys_ || !handle_)
    return caf::none;
  caf::scoped_actor self{*sys_};
  self->monitor(handle_);
  self->send_exit(handle_, caf::exit_reason::user_shutdown);
  caf::error result;
  bool done = false;
  self->receive_while([&] { return !done; })(
    [&](caf::down_msg& dm) {
      if (dm.source == handle_.address())
        done = true;
    },
    caf::after(timeout) >> [&] {
      done = true;
      result = make_error(errc::timeout,
                          "supervisor did not stop within the timeout; a child "
                          "ignores shutdown and has an infinite timeout");
    });
  return result;
}

} // namespace troupe
