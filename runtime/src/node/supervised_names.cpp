#include "node/supervised_names.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "supervision/cluster_names.hpp"
#include "troupe/cluster_agent.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

constexpr auto supervised_name_timeout = std::chrono::seconds(10);

/// One request to the agent from a short-lived actor: the supervisor that
/// asked never waits, and a refusal is logged with who asked.
void send_to_agent(caf::actor_system& sys, const caf::actor& agent,
                   cluster_names::request req) {
  sys.spawn([agent, req = std::move(req)](caf::event_based_actor* self) {
    auto fail = [self, req](caf::error& err) {
      log::warning("supervisor",
                   req.who + ": "
                     + (req.kind == cluster_names::request::register_name
                          ? "cluster registration of \"" + req.key + "\""
                          : "joining process group \"" + req.key + "\"")
                     + " failed: " + render(err));
      self->quit();
    };
    auto done = [self] { self->quit(); };
    if (req.kind == cluster_names::request::register_name)
      cluster_api::register_name(self, agent, req.key, req.handle,
                                 supervised_name_timeout)
        .then(done, fail);
    else
      cluster_api::group_join(self, agent, req.key, req.handle,
                              supervised_name_timeout)
        .then(done, fail);
  });
}

} // namespace

void serve_supervised_names(caf::actor_system& sys, const caf::actor& agent) {
  // The agent's handle is weak here: the publisher outlives nothing, but a
  // strong handle in a process-wide table would keep the agent alive.
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(agent);
  cluster_names::set_publisher(sys, [&sys, weak](cluster_names::request req) {
    if (auto agent = caf::actor_cast<caf::actor>(weak))
      send_to_agent(sys, agent, std::move(req));
  });
}

void stop_serving_supervised_names(caf::actor_system& sys) {
  cluster_names::clear_publisher(sys);
}

} // namespace troupe::detail
