#include "transport/proxy.hpp"

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/mailbox_element.hpp>

#include "transport/transport_core.hpp"

namespace troupe::detail {

remote_proxy::remote_proxy(caf::actor_config& cfg,
                           std::weak_ptr<transport_core> core)
  : caf::actor_proxy(cfg), core_(std::move(core)) {
}

std::shared_ptr<transport_core> remote_proxy::core() {
  std::lock_guard<std::mutex> guard{mtx_};
  return killed_ ? nullptr : core_.lock();
}

void remote_proxy::enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) {
  if (what->content().match_elements<caf::exit_msg>())
    unlink_from(what->content().get_as<caf::exit_msg>(0).source);
  std::shared_ptr<transport_core> c;
  std::shared_ptr<connection> route;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!killed_) {
      c = core_.lock();
      route = route_.lock();
    }
  }
  if (!c) {
    caf::detail::sync_request_bouncer bounce{
      caf::exit_reason::remote_link_unreachable};
    bounce(*what);
    return;
  }
  if (route && route->failed())
    route.reset();
  auto used = c->send_message(node(), id(), std::move(what), route);
  if (used != route) {
    std::lock_guard<std::mutex> guard{mtx_};
    route_ = used;
  }
}

bool remote_proxy::add_backlink(caf::abstract_actor* x) {
  if (!monitorable_actor::add_backlink(x))
    return false;
  if (auto c = core()) {
    // The peer links our proxy there to its actor; it must find x by id.
    c->system().registry().put(x->id(), x->ctrl());
    c->send_control(node(), wire::kind::link, id(), x->id());
  }
  return true;
}

bool remote_proxy::remove_backlink(caf::abstract_actor* x) {
  if (!monitorable_actor::remove_backlink(x))
    return false;
  if (auto c = core())
    c->send_control(node(), wire::kind::unlink, id(), x->id());
  return true;
}

void remote_proxy::kill_proxy(caf::execution_unit* ctx, caf::error reason) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    killed_ = true;
    core_.reset();
  }
  cleanup(std::move(reason), ctx);
}

} // namespace troupe::detail
