#include "tools/serve_node.hpp"

#include <cstring>
#include <iostream>
#include <string>

#include <troupe/troupe.hpp>

#include "tools/stop_signals.hpp"

namespace troupe::tools {

int serve_node(troupe::config& cfg) {
  auto stop_signals = block_stop_signals();
  auto n = troupe::node::start(cfg);
  if (!n) {
    std::cerr << "error: the node did not start: " << troupe::render(n.error())
              << "\n";
    return 1;
  }
  auto& nd = **n;
  auto http = troupe::http_endpoint::start(nd, cfg);
  if (!http) {
    std::cerr << "error: " << troupe::render(http.error()) << "\n";
    return 1;
  }
  // Before the "listening on" line, so that local_cluster reads both.
  if (*http)
    std::cout << "troupe node " << nd.name() << " http " << (*http)->url()
              << std::endl;
  std::cout << "troupe node " << nd.name() << " listening on " << nd.host()
            << ":" << nd.port() << std::endl;
  auto sig = wait_stop_signal(stop_signals);
  troupe::log::info("node", std::string{"received "} + strsignal(sig)
                              + "; leaving the cluster");
  if (auto err = nd.leave())
    troupe::log::warning("node", "leave: " + troupe::render(err));
  http->reset(); // before the node it serves
  n->reset();
  troupe::log::info("node", "stopped");
  return 0;
}

} // namespace troupe::tools
