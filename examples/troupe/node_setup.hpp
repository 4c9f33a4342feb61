#pragma once
// Message types and exported actor types that every process of the tool
// registers: `troupe node` and the client node of every demo. Demos add
// theirs here (one `register_node_setup` per demo file), so that all the
// processes of a cluster share one type set and every node can host every
// demo's actors.

#include <vector>

#include <troupe/config.hpp>

namespace troupe::cli {

/// Called with the loaded config, before the node starts.
using node_setup_fn = void (*)(troupe::config& cfg);

std::vector<node_setup_fn>& node_setups();

struct register_node_setup {
  explicit register_node_setup(node_setup_fn fn) {
    node_setups().push_back(fn);
  }
};

/// Applies every registered setup to `cfg`.
void apply_node_setups(troupe::config& cfg);

} // namespace troupe::cli
