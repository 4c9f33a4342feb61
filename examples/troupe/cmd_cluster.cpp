// `troupe cluster up -n N`: an embedded local cluster of N node processes
// on this machine, until Ctrl-C.

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "troupe/cli.hpp"
#include "troupe/local_cluster.hpp"

namespace troupe::cli {
namespace {

int usage(std::ostream& out, int code) {
  out << "usage: troupe cluster up [-n N] [--log-dir DIR] [-- NODE-OPTIONS...]\n"
         "  -n N            number of node processes (default 3)\n"
         "  --log-dir DIR   one log file per node (default ./troupe-cluster-logs)\n"
         "  -- ...          passed to every `troupe node` (see troupe node --help)\n"
         "Nodes listen on 127.0.0.1 with ephemeral ports; the first is the\n"
         "seed of the others. Ctrl-C (or SIGTERM) stops all nodes in order.\n"
         "Look at the cluster with: troupe status --seed ADDRESS\n";
  return code;
}

int cluster_up(int argc, char** argv) {
  int n = 3;
  std::string log_dir = "troupe-cluster-logs";
  std::vector<std::string> extra;
  if (argc < 2 || std::strcmp(argv[1], "up") != 0) {
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")))
      return usage(std::cout, 0);
    std::cerr << "error: expected `troupe cluster up`\n";
    return usage(std::cerr, 2);
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i)
        extra.emplace_back(argv[i]);
    } else if (arg == "-h" || arg == "--help") {
      return usage(std::cout, 0);
    } else if ((arg == "-n" || arg == "--nodes") && i + 1 < argc) {
      n = std::atoi(argv[++i]);
    } else if (arg == "--log-dir" && i + 1 < argc) {
      log_dir = argv[++i];
    } else {
      std::cerr << "error: unknown or incomplete option " << arg << "\n";
      return usage(std::cerr, 2);
    }
  }
  if (n < 1 || n > 256) {
    std::cerr << "error: -n must be between 1 and 256\n";
    return 2;
  }
  // Block the stop signals before any node exists, then wait for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::cerr << "starting " << n << " nodes (logs in " << log_dir << "/)\n";
  local_cluster cluster{self_path(), log_dir};
  if (auto err = cluster.start(n, "n", extra)) {
    std::cerr << "error: " << *err << "\nstopping the nodes already started\n";
    return 1;
  }
  std::printf("%-8s %-8s %-22s %s\n", "NAME", "PID", "ADDRESS", "LOG");
  for (auto& node : cluster.nodes())
    std::printf("%-8s %-8d %-22s %s\n", node.name.c_str(), node.pid,
                node.address().c_str(), node.log_path.c_str());
  std::printf("cluster up: %d nodes, seed %s. Ctrl-C stops all nodes.\n"
              "  troupe status --seed %s\n",
              n, cluster.seed().c_str(), cluster.seed().c_str());
  std::fflush(stdout);
  for (;;) {
    timespec tick{1, 0};
    auto sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM)
      break;
    // Report nodes that died on their own (the cluster keeps running).
    for (size_t i = 0; i < cluster.nodes().size(); ++i) {
      auto& node = cluster.nodes()[i];
      int status = 0;
      if (node.pid > 0 && waitpid(node.pid, &status, WNOHANG) == node.pid) {
        std::printf("node %s (pid %d) exited (%s %d); see %s\n",
                    node.name.c_str(), node.pid,
                    WIFSIGNALED(status) ? "signal" : "status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                    node.log_path.c_str());
        std::fflush(stdout);
        node.pid = -1;
      }
    }
  }
  std::printf("\nstopping %d nodes (they leave the cluster first)...\n", n);
  std::fflush(stdout);
  cluster.stop_all();
  std::printf("all nodes stopped\n");
  return 0;
}

register_command reg{"cluster", "run a local cluster: troupe cluster up -n N",
                     cluster_up};

} // namespace
} // namespace troupe::cli
