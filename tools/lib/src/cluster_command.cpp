#include "tools/cluster_command.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "tools/local_cluster.hpp"
#include "tools/stop_signals.hpp"

namespace troupe::tools {

namespace {

struct cluster_options {
  int nodes = 3;
  std::string log_dir = "troupe-cluster-logs";
  std::string node_binary;
  std::vector<std::string> node_args;
  bool tls = false;
};

int cluster_up(const cluster_options& opt) {
  // Block the stop signals before any node exists, then wait for them.
  auto stop_signals = block_stop_signals();
  std::cerr << "starting " << opt.nodes << " nodes (logs in " << opt.log_dir
            << "/)\n";
  local_cluster cluster{opt.node_binary, opt.log_dir};
  if (opt.tls) {
    if (auto err = cluster.use_tls()) {
      std::cerr << "error: " << *err << "\n";
      return 1;
    }
  }
  // Every node serves its HTTP endpoint on a free loopback port (issue 16),
  // unless the node options say otherwise.
  auto node_args = opt.node_args;
  bool http_given = false;
  for (auto& a : node_args)
    http_given = http_given || a.rfind("--troupe.http", 0) == 0;
  if (!http_given)
    node_args.insert(node_args.begin(), "--troupe.http=127.0.0.1:0");
  if (auto err = cluster.start(opt.nodes, "n", node_args)) {
    std::cerr << "error: " << *err << "\nstopping the nodes already started\n";
    return 1;
  }
  std::printf("%-8s %-8s %-22s %-28s %s\n", "NAME", "PID", "ADDRESS", "HTTP",
              "LOG");
  for (auto& node : cluster.nodes())
    std::printf("%-8s %-8d %-22s %-28s %s\n", node.name.c_str(), node.pid,
                node.address().c_str(),
                node.http.empty() ? "-" : node.http.c_str(),
                node.log_path.c_str());
  std::printf("cluster up: %d nodes, seed %s, secret %s%s%s. Ctrl-C stops "
              "all nodes.\n  troupe status --seed %s --cookie-file %s",
              opt.nodes, cluster.seed().c_str(), cluster.cookie_file().c_str(),
              opt.tls ? ", mutual TLS with the certificates in " : "",
              cluster.tls_dir().c_str(), cluster.seed().c_str(),
              cluster.cookie_file().c_str());
  // troupe status speaks as "ops", a certificate of the cluster's CA.
  for (auto& flag : cluster.tls_args("ops"))
    std::printf(" %s", flag.substr(flag.find('.') + 1).insert(0, "--").c_str());
  std::printf("\n");
  std::fflush(stdout);
  while (wait_stop_signal(stop_signals, std::chrono::seconds(1)) == 0) {
    // Report nodes that died on their own (the cluster keeps running).
    for (auto& node : cluster.nodes()) {
      if (auto status = try_reap(node.pid)) {
        std::printf("node %s (pid %d) exited (%s); see %s\n", node.name.c_str(),
                    node.pid, describe_exit(*status).c_str(),
                    node.log_path.c_str());
        std::fflush(stdout);
        node.pid = -1;
      }
    }
  }
  std::printf("\nstopping %d nodes (they leave the cluster first)...\n",
              opt.nodes);
  std::fflush(stdout);
  cluster.stop_all();
  std::printf("all nodes stopped\n");
  return 0;
}

} // namespace

command add_cluster_command(CLI::App& app, std::string node_binary) {
  auto opt = std::make_shared<cluster_options>();
  opt->node_binary = std::move(node_binary);
  auto* cluster = app.add_subcommand("cluster", "run a local cluster: "
                                                "cluster up -n N");
  cluster->require_subcommand(1);
  auto* up = cluster->add_subcommand(
    "up", "start N node processes on this machine (127.0.0.1, ephemeral "
          "ports; the first is the seed of the others) until Ctrl-C or "
          "SIGTERM, which stops them in order");
  up->add_option("-n,--nodes", opt->nodes, "number of node processes")
    ->check(in_range(1, 256));
  up->add_option("--log-dir", opt->log_dir, "one log file per node")
    ->type_name("DIR");
  up->add_option("--node-binary", opt->node_binary,
                 "the program whose `node` command runs each node")
    ->type_name("PATH");
  up->add_flag("--tls", opt->tls,
              "mutual TLS between the nodes as well as the secret: a CA and "
              "a certificate per node in LOG_DIR/tls");
  up->add_option("node-options", opt->node_args,
                 "after --: passed to every node (see the `node` command's "
                 "--help)")
    ->type_name("")
    ->default_str("");
  up->footer("Look at the cluster with: troupe status --seed ADDRESS");
  return {cluster, [opt] { return cluster_up(*opt); }};
}

} // namespace troupe::tools
