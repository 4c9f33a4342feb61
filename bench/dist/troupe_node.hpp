#pragma once
// Node mode of bench_dist_troupe (see troupe_node.cpp).

#include "tools/command_line.hpp"

namespace bench::dist {

/// Adds `node` to the program's command line: one worker node until
/// SIGINT or SIGTERM.
troupe::tools::command add_node_command(CLI::App& app);

} // namespace bench::dist
