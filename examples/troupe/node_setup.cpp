#include "troupe/node_setup.hpp"

namespace troupe::cli {

std::vector<node_setup_fn>& node_setups() {
  static std::vector<node_setup_fn> xs;
  return xs;
}

void apply_node_setups(troupe::config& cfg) {
  for (auto fn : node_setups())
    fn(cfg);
}

} // namespace troupe::cli
