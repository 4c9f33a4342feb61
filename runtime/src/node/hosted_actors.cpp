#include "node/hosted_actors.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "troupe/errc.hpp"

namespace troupe::detail {

caf::error hosted_actors::admit(const std::string& type, bool known) const {
  if (std::find(exported_.begin(), exported_.end(), type) != exported_.end())
    return {};
  return make_error(known ? errc::not_allowed : errc::unknown_actor_type,
                    "node " + node_ + " does not export \"" + type + "\"");
}

caf::expected<caf::actor> hosted_actors::spawn(caf::actor_system& sys,
                                               const std::string& type,
                                               caf::message args) {
  if (auto err = admit(type, sys.config().actor_factories.count(type) > 0))
    return err;
  auto res = sys.spawn<caf::actor>(type, std::move(args));
  if (!res)
    return make_error(errc::bad_arguments,
                      "node " + node_ + " cannot spawn \"" + type
                          + "\" from these arguments: " + render(res.error()));
  spawned_.push_back(*res);
  return *res;
}

void hosted_actors::erase(const caf::actor_addr& who) {
  std::erase_if(spawned_, [&](auto& a) { return a.address() == who; });
  if (spawned_.empty()) {
    for (auto& rp : awaiting_stop_)
      rp.deliver(caf::unit);
    awaiting_stop_.clear();
  }
}

void hosted_actors::when_all_stopped(caf::response_promise rp) {
  if (spawned_.empty())
    rp.deliver(caf::unit);
  else
    awaiting_stop_.push_back(std::move(rp));
}

} // namespace troupe::detail
