// `troupe status --seed HOST:PORT`: the membership table as one node sees it.

#include <cstdio>
#include <cstring>
#include <iostream>

#include <troupe/troupe.hpp>

#include "troupe/cli.hpp"

namespace troupe::cli {
namespace {

int run_status(int argc, char** argv) {
  std::string seed;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = argv[++i];
    else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::cout << "usage: troupe status --seed HOST:PORT\n"
                   "prints the membership table (name, address, state, actors,"
                   " mailbox backlog, uptime) as the node at HOST:PORT sees it\n";
      return 0;
    } else {
      std::cerr << "error: unknown option " << argv[i]
                << "; usage: troupe status --seed HOST:PORT\n";
      return 2;
    }
  }
  auto addr = troupe::parse_host_port(seed, "--seed");
  if (!addr) {
    std::cerr << "error: " << troupe::render(addr.error()) << "\n";
    return 2;
  }
  troupe::config cfg;
  cfg.set("troupe.log-level", "error");
  troupe::system sys{troupe::add_node_types(cfg)};
  auto members = troupe::query_members(sys.actors(), addr->first, addr->second);
  if (!members) {
    std::cerr << "error: " << troupe::render(members.error()) << "\n";
    return 1;
  }
  std::printf("%-20s %-22s %-8s %-7s %8s %8s %10s\n", "NAME", "ADDRESS",
              "STATE", "ROLE", "ACTORS", "BACKLOG", "UPTIME");
  for (auto& m : *members)
    std::printf("%-20s %-22s %-8s %-7s %8llu %8llu %9.1fs\n", m.name.c_str(),
                m.address().c_str(), troupe::to_string(m.state).c_str(),
                m.role.c_str(),
                static_cast<unsigned long long>(m.actors),
                static_cast<unsigned long long>(m.backlog),
                static_cast<double>(m.uptime_ms) / 1000.0);
  return 0;
}

register_command reg{"status", "print the membership table of a cluster",
                     run_status};

} // namespace
} // namespace troupe::cli
