#pragma once
// `cluster up -n N`: an embedded local cluster of N node processes on this
// machine, until Ctrl-C. The subcommand of `troupe` (product nodes) and of
// `troupe-demos` (nodes that also host the demos' actors).

#include <string>

#include "tools/command_line.hpp"

namespace troupe::tools {

/// Adds `cluster` (with its subcommand `up`) to `app`; the nodes are
/// `node_binary node ...` unless --node-binary says otherwise.
command add_cluster_command(CLI::App& app, std::string node_binary);

} // namespace troupe::tools
