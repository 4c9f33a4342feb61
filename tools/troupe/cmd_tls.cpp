// `troupe tls init DIR --nodes a,b,c`: the certificates of a cluster that
// runs with mutual TLS (README "Security").

#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "tools/cluster_pki.hpp"

namespace troupe::tool {
namespace {

int run_init(const std::string& dir, const std::vector<std::string>& nodes) {
  tools::pki_files files;
  std::string error;
  if (!tools::make_cluster_pki(dir, nodes, files, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  std::cout << "CA: " << files.ca_cert << " (its key " << dir
            << "/ca.key signs more nodes: run again with new names)\n";
  for (auto& f : files.node_files)
    std::cout << "node: " << f << "\n";
  auto& first = nodes.front();
  std::cout << "start node " << first << " with:\n  troupe node --troupe.tls-cert "
            << dir << "/" << first << ".pem --troupe.tls-key " << dir << "/"
            << first << ".key --troupe.tls-ca " << files.ca_cert << "\n"
            << "(its certificate names it: --name may be left out)\n";
  return 0;
}

} // namespace

tools::command add_tls_command(CLI::App& app) {
  auto* tls = app.add_subcommand("tls", "certificates for mutual TLS between "
                                        "nodes");
  tls->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto nodes = std::make_shared<std::vector<std::string>>();
  auto* init = tls->add_subcommand(
    "init", "make a cluster CA (unless DIR has one) and a key and "
            "certificate per node, named by the node's name");
  init->add_option("DIR", *dir, "directory for ca.pem, ca.key, NAME.pem and "
                                "NAME.key")
    ->required();
  init->add_option("--nodes", *nodes, "the node names, comma separated")
    ->delimiter(',')
    ->required();
  return {tls, [dir, nodes] { return run_init(*dir, *nodes); }};
}

} // namespace troupe::tool
