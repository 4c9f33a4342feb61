#pragma once
// The `node` subcommand of every node binary: `troupe node`, `troupe-demos
// node`, `bench_dist_troupe node` and the cluster tests' odd node. One set
// of short flags (--listen, --seeds, --name, --config) translated into
// troupe's config; everything else goes to CAF's parser unchanged
// (--troupe.*, --scheduler.*, --config-file=...). The binaries differ only
// in the types they register (`setup`): the type set every node of one
// cluster must share.
//
//   CLI::App app{"my nodes", "my-node"};
//   std::vector<tools::command> commands{tools::add_node_command(app, {
//     .summary = "run one node", .setup = [](troupe::config& cfg) {...}})};
//   if (auto code = tools::parse(app, argc, argv)) return *code;
//   return tools::run_parsed(app, commands);

#include <functional>
#include <string>

#include <troupe/config.hpp>

#include "tools/command_line.hpp"

namespace troupe::tools {

struct node_command_spec {
  std::string summary = "run one cluster node until SIGINT or SIGTERM";
  /// Said after the options in --help (the exported actor types, ...).
  std::string footer;
  /// Registers this binary's message and actor types; called with the
  /// loaded config, before the node starts.
  std::function<void(troupe::config&)> setup;
};

/// Adds `node` to `app`. Its run starts the node (tools::serve_node) and
/// returns once it stopped; CAF's own errors exit with 2, as bad flags do.
command add_node_command(CLI::App& app, node_command_spec spec);

} // namespace troupe::tools
