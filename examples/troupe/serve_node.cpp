#include "troupe/serve_node.hpp"

#include <signal.h>

#include <cstring>
#include <iostream>
#include <string>

#include <troupe/troupe.hpp>

namespace troupe::cli {

int serve_node(troupe::config& cfg) {
  // Block the stop signals in every thread (CAF's threads inherit the mask)
  // and wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto n = troupe::node::start(cfg);
  if (!n) {
    std::cerr << "error: the node did not start: " << troupe::render(n.error())
              << "\n";
    return 1;
  }
  auto& nd = **n;
  std::cout << "troupe node " << nd.name() << " listening on " << nd.host()
            << ":" << nd.port() << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  troupe::log::info("node", std::string{"received "} + strsignal(sig)
                              + "; leaving the cluster");
  if (auto err = nd.leave())
    troupe::log::warning("node", "leave: " + troupe::render(err));
  n->reset();
  troupe::log::info("node", "stopped");
  return 0;
}

} // namespace troupe::cli
