#pragma once
// Runs one node in the foreground until SIGINT or SIGTERM: what `troupe
// node` does once its options are read, and what the distributed
// benchmark's own node binary does with its types.

#include <troupe/config.hpp>

namespace troupe::cli {

/// Starts a node with `cfg`, prints "troupe node NAME listening on
/// HOST:PORT" (local_cluster waits for that line), serves until SIGINT or
/// SIGTERM, then leaves the cluster and stops. Returns the exit code.
/// Call it before any actor system of this process exists: CAF's threads
/// must inherit the blocked stop signals.
int serve_node(troupe::config& cfg);

} // namespace troupe::cli
