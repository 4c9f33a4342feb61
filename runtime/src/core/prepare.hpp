#pragma once
// What every troupe actor system needs before CAF constructs it, whatever
// layers it uses: troupe's error category, the middleman, scheduler
// defaults, the node name in log lines and the log level.

#include "troupe/config.hpp"

namespace troupe::detail {

/// Prepares `cfg` for a caf::actor_system and returns it. Each layer above
/// adds its own message types (system::prepare, add_node_types).
config& prepare_core(config& cfg);

} // namespace troupe::detail
