#pragma once
// Runs one node in the foreground until SIGINT or SIGTERM: what every node
// binary (`troupe node`, `troupe-demos node`, the distributed benchmark's
// and the cluster tests' nodes) does once its options are read.

#include <troupe/config.hpp>

namespace troupe::tools {

/// Starts a node with `cfg`, prints "troupe node NAME listening on
/// HOST:PORT" (local_cluster waits for that line), serves until SIGINT or
/// SIGTERM, then leaves the cluster and stops. Returns the exit code.
/// Call it before any actor system of this process exists: CAF's threads
/// must inherit the blocked stop signals.
int serve_node(troupe::config& cfg);

} // namespace troupe::tools
