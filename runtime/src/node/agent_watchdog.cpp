// The agent's watchdog (issue 12, item 5): a node whose agent died keeps
// its port open and answers nothing, and its peers keep dialling it. The
// watchdog monitors the agent; unless the agent told it first that the
// node stops it on purpose (disarm_atom), the agent's end ends the process
// with a clear line and a non-zero code, so that whatever supervises the
// process (systemd, Kubernetes, `troupe cluster up`) sees it and restarts
// it. An exit message with reason `kill` ends any CAF actor at once,
// whatever its exit handler, so this is the only defence against one.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "node/agent_protocol.hpp"
#include "node/agent_state.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

caf::behavior watchdog(caf::event_based_actor* self, caf::actor agent,
                       std::string node, bool exit_process) {
  auto armed = std::make_shared<bool>(true);
  self->monitor(agent);
  self->set_down_handler([self, armed, node, exit_process](caf::down_msg& dm) {
    if (*armed && !exit_process)
      log::error("node", "the node agent of " + node + " died ("
                             + render(dm.reason)
                             + "); troupe.exit-on-agent-death is off: the "
                               "process goes on without its node");
    if (*armed && exit_process) {
      log::error("node", "the node agent of " + node + " died ("
                             + render(dm.reason)
                             + "); this process cannot serve the cluster any "
                               "more: exiting with code 70 so that its "
                               "supervisor restarts it");
      std::fflush(nullptr);
      std::quick_exit(70);
    }
    self->quit();
  });
  // CAF destroys an idle actor that nobody holds: the agent holds this one
  // only until its state goes, before its monitors fire. The watchdog holds
  // itself until it quits.
  auto keep_alive = caf::actor_cast<caf::actor>(self);
  return {
      [self, armed, agent, keep_alive](disarm_atom) {
        static_cast<void>(keep_alive);
        if (caf::actor_cast<caf::actor>(self->current_sender()) == agent)
          *armed = false;
      },
  };
}

} // namespace

caf::actor spawn_watchdog(caf::actor_system& sys, const caf::actor& agent,
                          const std::string& node, bool exit_process) {
  return sys.spawn(watchdog, agent, node, exit_process);
}

} // namespace troupe::detail
