#pragma once
// The subcommands of the `troupe` tool, one file each; main.cpp lists them.
// (`cluster` comes from the tooling library: troupe-demos has it too.)

#include "tools/command_line.hpp"

namespace troupe::tool {

/// `troupe node`: one node of the product, exporting echo and counter.
tools::command add_node_command(CLI::App& app);

/// `troupe status --seed HOST:PORT`: the membership table.
tools::command add_status_command(CLI::App& app);

/// `troupe tls init DIR --nodes a,b,c`: a CA and node certificates.
tools::command add_tls_command(CLI::App& app);

/// `troupe top --seed HOST:PORT | --http HOST:PORT [--once]`: members,
/// rates, backlogs, restarts, through a node or the nodes' HTTP endpoints.
tools::command add_top_command(CLI::App& app);

/// `troupe demo ...`: runs the troupe-demos program next to this one.
tools::command add_demo_command(CLI::App& app);

} // namespace troupe::tool
