#pragma once
// Node mode of bench_dist_troupe (see troupe_node.cpp).

namespace bench::dist {

/// Runs one worker node until SIGINT or SIGTERM; argv[0] is "node".
int run_node(int argc, char** argv);

} // namespace bench::dist
