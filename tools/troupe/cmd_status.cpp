// `troupe status --seed HOST:PORT`: the membership table as one node sees it.

#include <cstdio>
#include <iostream>
#include <memory>

#include <troupe/troupe.hpp>

#include "commands.hpp"

namespace troupe::tool {
namespace {

struct tls_flags {
  std::string cert, key, ca;
};

int run_status(const std::string& seed, const std::string& cookie_file,
               const tls_flags& tls) {
  auto addr = troupe::parse_host_port(seed, "--seed");
  if (!addr) {
    std::cerr << "error: " << troupe::render(addr.error()) << "\n";
    return 2;
  }
  troupe::config cfg;
  cfg.set("troupe.log-level", "error");
  if (!cookie_file.empty())
    cfg.set("troupe.cookie-file", cookie_file);
  for (auto& [key, value] : {std::pair{"troupe.tls-cert", &tls.cert},
                             std::pair{"troupe.tls-key", &tls.key},
                             std::pair{"troupe.tls-ca", &tls.ca}})
    if (!value->empty())
      cfg.set(key, *value);
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
                troupe::to_string(m.role).c_str(),
                static_cast<unsigned long long>(m.actors),
                static_cast<unsigned long long>(m.backlog),
                static_cast<double>(m.uptime_ms) / 1000.0);
  return 0;
}

} // namespace

tools::command add_status_command(CLI::App& app) {
  auto seed = std::make_shared<std::string>();
  auto cookie = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
    "status", "print the membership table (name, address, state, role, "
              "actors, mailbox backlog, uptime) as one node sees it");
  sub->add_option("--seed", *seed, "address of any node of the cluster")
    ->type_name("HOST:PORT")
    ->required();
  sub->add_option("--cookie-file", *cookie,
                  "the cluster secret (as the nodes' --troupe.cookie-file; "
                  "`troupe cluster up` prints it)")
    ->type_name("FILE");
  auto tls = std::make_shared<tls_flags>();
  sub->add_option("--tls-cert", tls->cert,
                  "a certificate of the cluster's CA, for a cluster with "
                  "mutual TLS (with --tls-key and --tls-ca)")
    ->type_name("FILE");
  sub->add_option("--tls-key", tls->key, "its private key")->type_name("FILE");
  sub->add_option("--tls-ca", tls->ca, "the cluster's CA certificate")
    ->type_name("FILE");
  return {sub, [seed, cookie, tls] { return run_status(*seed, *cookie, *tls); }};
}

} // namespace troupe::tool
