// troupe::node's blocking wrappers of the agent's later requests (the first
// ones are in node.cpp): unregister_name, await_name, await_member,
// monitor_node, leave_group.

#include <caf/scoped_actor.hpp>

#include "core/blocking_ask.hpp"
#include "troupe/node.hpp"

namespace troupe {

namespace {

/// The agent answers a parked request within `max_wait`; wait a little
/// longer for its answer.
caf::timespan reply_bound(caf::timespan max_wait) {
  return max_wait + max_wait / 10 + std::chrono::milliseconds(1);
}

} // namespace

caf::error node::unregister_name(const std::string& name,
                                 caf::timespan timeout) {
  return detail::blocking_call(sys_->actors(), agent_, timeout,
                               unregister_atom::value, name);
}

caf::expected<caf::actor> node::await_name(const std::string& name,
                                           caf::timespan timeout) {
  if (auto hdl = lookup(name))
    return hdl;
  return detail::blocking_ask<caf::actor>(
      sys_->actors(), agent_, reply_bound(timeout), await_name_atom::value,
      name, timeout);
}

caf::expected<member_info> node::await_member(const std::string& name,
                                              caf::timespan timeout) {
  return detail::blocking_ask<member_info>(
      sys_->actors(), agent_, reply_bound(timeout), await_member_atom::value,
      name, timeout);
}

void node::monitor_node(const std::string& name, const caf::actor& subscriber) {
  // With a sender of this process: the agent takes it from local actors only.
  caf::scoped_actor self{sys_->actors()};
  self->send(agent_, monitor_node_atom::value, name, subscriber);
}

caf::error node::leave_group(const std::string& group, const caf::actor& handle,
                             caf::timespan timeout) {
  return detail::blocking_call(sys_->actors(), agent_, timeout,
                               group_leave_atom::value, group, handle);
}

} // namespace troupe
