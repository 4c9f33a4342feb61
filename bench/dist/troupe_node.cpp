// `bench_dist_troupe node --listen HOST:PORT --name NAME [--seeds LIST]`: a
// worker node like `troupe node` (the same command line and runtime,
// default settings) that registers the benchmark's types instead of the
// product's. troupe's local_cluster starts it exactly as it starts
// `troupe node`.

#include "dist/troupe_node.hpp"

#include "dist/troupe_types.hpp"
#include "tools/node_command.hpp"

namespace bench::dist {

troupe::tools::command add_node_command(CLI::App& app) {
  return troupe::tools::add_node_command(
    app, {.summary = "run one worker node with the benchmark's actor types",
          .footer = {},
          .setup = register_types});
}

} // namespace bench::dist
