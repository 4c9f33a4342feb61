// `troupe status --seed HOST:PORT`: the membership table as one node sees it.
// It never waits longer than --timeout (within.hpp).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include <troupe/troupe.hpp>

#include "commands.hpp"
#include "within.hpp"

namespace troupe::tool {

using namespace std::chrono_literals;
namespace {

struct tls_flags {
  std::string cert, key, ca;
};

int run_status(const std::string& seed, const std::string& cookie_file,
               const tls_flags& tls, double timeout_s) {
  if (!(timeout_s > 0)) {
    std::cerr << "error: --timeout must be a positive number of seconds, got "
              << timeout_s << "\n";
    return 2;
  }
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
  // Half the budget for the handshake and half for the answer; the
  // watchdog covers what does not honour it (BASP's connect).
  auto half = std::chrono::duration_cast<caf::timespan>(
    std::chrono::duration<double>(timeout_s / 2));
  auto members = within(std::chrono::duration<double>(timeout_s) + 500ms, seed,
                        [&] {
                          return troupe::query_members(
                            sys.actors(), addr->first, addr->second, half);
                        });
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
  auto timeout = std::make_shared<double>(5.0);
  sub->add_option("--timeout", *timeout,
                  "give up (exit status 1) when the node has not answered "
                  "within this many seconds")
    ->type_name("SECONDS")
    ->capture_default_str();
  auto tls = std::make_shared<tls_flags>();
  sub->add_option("--tls-cert", tls->cert,
                  "a certificate of the cluster's CA, for a cluster with "
                  "mutual TLS (with --tls-key and --tls-ca)")
    ->type_name("FILE");
  sub->add_option("--tls-key", tls->key, "its private key")->type_name("FILE");
  sub->add_option("--tls-ca", tls->ca, "the cluster's CA certificate")
    ->type_name("FILE");
  return {sub, [seed, cookie, tls, timeout] {
            return run_status(*seed, *cookie, *tls, *timeout);
          }};
}

} // namespace troupe::tool
