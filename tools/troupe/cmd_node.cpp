// `troupe node`: runs one cluster node until SIGINT/SIGTERM. The product's
// node registers troupe's own types and exports two small actor types;
// binaries with more types (troupe-demos, the benchmark) have their own
// `node` command, so this node's type set never depends on them.

#include <string>

#include <troupe/troupe.hpp>

#include "commands.hpp"
#include "tools/node_command.hpp"

namespace troupe::tool {
namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct counter_state {
  int64_t total = 0;
};

/// Exported by every `troupe node`: a counter starting at `start`.
caf::behavior counter(caf::stateful_actor<counter_state>* self, int64_t start) {
  self->state.total = start;
  return {
    [self](add_atom, int64_t x) { return self->state.total += x; },
    [self](get_atom) { return self->state.total; },
  };
}

void export_types(troupe::config& cfg) {
  // Types other nodes may spawn here (the remote-spawn allowlist).
  auto node_name = cfg.node_name();
  cfg.export_type("echo", [node_name](caf::event_based_actor*) -> caf::behavior {
    return {[node_name](const std::string& text) { return node_name + ":" + text; }};
  });
  cfg.export_type("counter", counter);
}

} // namespace

tools::command add_node_command(CLI::App& app) {
  return tools::add_node_command(
    app,
    {.summary = "run one cluster node until SIGINT or SIGTERM",
     .footer = "\nExported actor types (remote spawn): echo (answers "
               "\"NAME:text\"), counter (add, get; starts at its argument).\n"
               "Failure detection: --troupe.heartbeat-interval=200ms "
               "--troupe.suspect-after=1s --troupe.down-after=3s "
               "--troupe.suspect-timeout=2s --troupe.indirect-probes=3.\n"
               "SIGINT or SIGTERM: the node leaves the cluster and stops its "
               "actors in order.\n",
     .setup = export_types});
}

} // namespace troupe::tool
