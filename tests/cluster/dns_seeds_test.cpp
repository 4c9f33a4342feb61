// Discovery through DNS with real processes: `troupe node`s started at once
// with only a DNS name (--troupe.seeds=srv:... or dns:..., served by a real
// dnsmasq on a loopback port, as a Kubernetes headless service serves its
// pods) form one cluster, and a node that comes later is found. The nodes
// listen on fixed ports (the records name them), picked free just before.
// SKIPPED with a warning where dnsmasq cannot start.

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../unit/dnsmasq_server.hpp"
#include "cluster_fixture.hpp"

using namespace troupe;
using namespace std::chrono_literals;
using troupe::test::dnsmasq_server;
using troupe::test::fixture;
using troupe::tools::local_cluster;

namespace {

using clock_type = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, {}};
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

struct dns_fixture : fixture {
  dnsmasq_server dns;
  /// The fixture's log directory: nodes started there share the secret
  /// the fixture's querying system was given.
  std::string log_dir
      = cluster.cookie_file().substr(0, cluster.cookie_file().rfind('/'));
  std::unique_ptr<local_cluster> nodes;

  /// Node i's view of the members that are up.
  size_t up_in_view_of(size_t i) {
    auto& n = nodes->nodes().at(i);
    auto xs = query_members(sys.actors(), n.host, n.port, 5s);
    size_t up = 0;
    if (xs)
      for (auto& m : *xs)
        up += m.state == member_state::up ? 1 : 0;
    return up;
  }

  /// Waits (bounded) until every node sees `n` members up.
  bool all_see(size_t n, std::chrono::milliseconds bound = 40s) {
    auto deadline = clock_type::now() + bound;
    for (size_t i = 0; i < nodes->nodes().size(); ++i)
      while (up_in_view_of(i) != n) {
        if (clock_type::now() >= deadline)
          return false;
        std::this_thread::sleep_for(20ms); // re-query interval
      }
    return true;
  }

  std::vector<std::string> dns_args(const std::string& seeds) {
    return {"--troupe.seeds=" + seeds, "--troupe.dns-server=" + dns.address(),
            "--troupe.join-timeout=30s"};
  }

  /// Starts the nodes at once on `listen` addresses; a port taken between
  /// the pick and the node's bind is reported as "cannot listen".
  std::optional<std::string>
  start_together(const std::vector<local_cluster::node_spec>& specs) {
    nodes = std::make_unique<local_cluster>(TROUPE_BINARY, log_dir);
    return nodes->start_together(specs);
  }

  bool port_race(const std::optional<std::string>& err) {
    if (!err)
      return false;
    for (auto& n : nodes->nodes())
      if (read_file(n.log_path).find("cannot listen on") != std::string::npos)
        return true;
    return false;
  }
};

} // namespace

TEST_CASE_METHOD(dns_fixture,
                 "five nodes started at once with only an SRV "
                 "name form one cluster, and a node added to "
                 "the records later is found",
                 "[dns]") {
  constexpr size_t n = 5;
  std::optional<std::string> err;
  clock_type::time_point started;
  // A port picked free may be taken before the node binds it: once again
  // with new ports, then it is a failure.
  std::vector<uint16_t> ports;
  std::vector<std::string> records;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ports = test::free_tcp_ports(n + 1);
    REQUIRE(ports.size() == n + 1);
    records.clear();
    // n records now; the late node's is added once the cluster is up.
    for (size_t i = 0; i < n; ++i) {
      auto host = std::string{"n"} + std::to_string(i + 1) + ".troupe.test";
      records.push_back("--host-record=" + host + ",127.0.0.1");
      records.push_back("--srv-host=_troupe._tcp.troupe.test," + host + ","
                        + std::to_string(ports[i]));
    }
    if (auto dns_err = dns.start(records, log_dir)) {
      WARN("SKIPPED: no DNS server for the test: " << *dns_err);
      return;
    }
    std::vector<local_cluster::node_spec> specs;
    for (size_t i = 0; i < n; ++i)
      specs.push_back({std::string{"n"} + std::to_string(i + 1),
                       std::string{"127.0.0.1:"} + std::to_string(ports[i]),
                       dns_args("srv:_troupe._tcp.troupe.test")});
    started = clock_type::now();
    err = start_together(specs);
    if (!port_race(err))
      break;
    WARN("a picked port was taken before its node bound it; once more: "
         << *err);
    nodes.reset();
  }
  INFO(err.value_or(""));
  REQUIRE_FALSE(err);
  REQUIRE(all_see(n));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      clock_type::now() - started);
  std::cout << n << " nodes started at once formed one cluster through SRV "
            << "records in " << took.count()
            << " ms (from the start of "
               "their processes until every node saw all "
            << n << " up)\n";
  // Exactly one node formed it, the one of the lowest address; the others
  // joined.
  size_t formed = 0;
  size_t joined = 0;
  for (auto& node : nodes->nodes()) {
    auto log = read_file(node.log_path);
    formed += count(log, "forming a new cluster")
              + count(log, "formed the cluster");
    joined += count(log, "joined the cluster");
  }
  CHECK(formed == 1);
  CHECK(joined == n - 1);
  auto lowest
      = read_file(nodes->nodes()
                      .at(static_cast<size_t>(
                          std::min_element(ports.begin(), ports.begin() + n)
                          - ports.begin()))
                      .log_path);
  CHECK(count(lowest, "forming a new cluster")
            + count(lowest, "formed the cluster")
        == 1);
  // A new pod: its record is added (dnsmasq restarted with it, on the same
  // port), and it finds the cluster through the same name.
  records.push_back("--host-record=late.troupe.test,127.0.0.1");
  records.push_back("--srv-host=_troupe._tcp.troupe.test,late.troupe.test,"
                    + std::to_string(ports[n]));
  if (auto dns_err = dns.restart(records)) {
    WARN("SKIPPED the late node: dnsmasq did not start again: " << *dns_err);
    return;
  }
  auto late = nodes->start_together(
      {{std::string{"n"} + std::to_string(n + 1),
        std::string{"127.0.0.1:"} + std::to_string(ports[n]),
        dns_args("srv:_troupe._tcp.troupe.test")}});
  if (late && port_race(late))
    WARN("SKIPPED the late node: its port was taken: " << *late);
  else {
    INFO(late.value_or(""));
    REQUIRE_FALSE(late);
    CHECK(all_see(n + 1));
    auto log = read_file(nodes->nodes().back().log_path);
    CHECK(count(log, "joined the cluster") == 1);
  }
}

TEST_CASE_METHOD(dns_fixture,
                 "three nodes on three addresses of one dns: "
                 "name, all at one port, form one cluster",
                 "[dns]") {
  // Pods of a headless service: one name, an address each, the same port.
  // 127.0.0.0/8 is loopback on Linux, so each node has an address of its own.
  std::vector<std::string> hosts = {"127.0.0.13", "127.0.0.11", "127.0.0.12"};
  std::optional<std::string> err;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto port = test::free_tcp_ports(1);
    REQUIRE(port.size() == 1);
    std::vector<std::string> records;
    for (auto& h : hosts)
      records.push_back("--host-record=troupe.test," + h);
    if (auto dns_err = dns.start(records, log_dir)) {
      WARN("SKIPPED: no DNS server for the test: " << *dns_err);
      return;
    }
    std::vector<local_cluster::node_spec> specs;
    for (size_t i = 0; i < hosts.size(); ++i)
      specs.push_back({std::string{"p"} + std::to_string(i + 1),
                       hosts[i] + std::string{":"} + std::to_string(port[0]),
                       dns_args(std::string{"dns:troupe.test:"}
                                + std::to_string(port[0]))});
    err = start_together(specs);
    if (!port_race(err))
      break;
    WARN("a picked port was taken before its node bound it; once more: "
         << *err);
    nodes.reset();
  }
  INFO(err.value_or(""));
  REQUIRE_FALSE(err);
  CHECK(all_see(hosts.size()));
  // 127.0.0.11 (p2) is the lowest: it formed the cluster.
  auto log = read_file(nodes->nodes().at(1).log_path);
  CHECK(count(log, "forming a new cluster") + count(log, "formed the cluster")
        == 1);
}

TEST_CASE_METHOD(dns_fixture,
                 "a seed name that resolves to nothing is "
                 "retried until the join timeout, then an error "
                 "naming it and what the names resolved to",
                 "[dns]") {
  auto port = test::free_tcp_ports(1);
  REQUIRE(port.size() == 1);
  if (auto dns_err
      = dns.start({"--host-record=gone.troupe.test,127.0.0.1"}, log_dir)) {
    WARN("SKIPPED: no DNS server for the test: " << *dns_err);
    return;
  }
  nodes = std::make_unique<local_cluster>(TROUPE_BINARY, log_dir);
  // gone.troupe.test resolves, but nothing listens there; the SRV name has
  // no record. This node's own address is in neither, so it never forms a
  // cluster of its own.
  auto gone = std::string{"dns:gone.troupe.test:"} + std::to_string(port[0]);
  auto err = nodes->start_together(
      {{"lonely",
        "127.0.0.1:0",
        {"--troupe.seeds=srv:_troupe._tcp.none.troupe.test," + gone,
         "--troupe.dns-server=" + dns.address(), "--troupe.join-timeout=2s"}}},
      20s);
  REQUIRE(err);
  INFO(*err);
  CHECK_THAT(*err, Catch::Contains("exited during start-up"));
  auto log = read_file(nodes->nodes().at(0).log_path);
  INFO(log);
  CHECK(count(log, "could not join through any seed within 2 s") == 1);
  CHECK(count(log, "srv:_troupe._tcp.none.troupe.test resolved to nothing")
        >= 1);
  CHECK(count(log, gone + std::string{" resolved to 127.0.0.1:"}
                       + std::to_string(port[0]))
        == 1);
  // Retried, but each cause logged once.
  CHECK(count(log, "no seed answered") <= 2);
}

TEST_CASE_METHOD(dns_fixture,
                 "after the join the names are resolved again, "
                 "and a node of another cluster in the records "
                 "is reported as a split",
                 "[dns]") {
  // Two clusters of two, each through a name of its own; then the records
  // of a.troupe.test also name a node of b's cluster.
  std::optional<std::string> err;
  std::vector<uint16_t> ports;
  auto records_for = [&](bool merged) {
    std::vector<std::string> records
        = {"--host-record=h.troupe.test,127.0.0.1"};
    for (size_t i = 0; i < 4; ++i) {
      auto name = i < 2 || (merged && i == 2) ? "a" : "b";
      records.push_back(std::string{"--srv-host=_troupe._tcp."} + name
                        + ".troupe.test,h.troupe.test,"
                        + std::to_string(ports[i]));
    }
    // b's cluster keeps its own name for its nodes.
    if (merged)
      records.push_back("--srv-host=_troupe._tcp.b.troupe.test,h.troupe.test,"
                        + std::to_string(ports[2]));
    return records;
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    ports = test::free_tcp_ports(4);
    REQUIRE(ports.size() == 4);
    if (auto dns_err = dns.start(records_for(false), log_dir)) {
      WARN("SKIPPED: no DNS server for the test: " << *dns_err);
      return;
    }
    std::vector<local_cluster::node_spec> specs;
    for (size_t i = 0; i < 4; ++i) {
      auto args = dns_args(std::string{"srv:_troupe._tcp."}
                           + (i < 2 ? "a" : "b") + ".troupe.test");
      args.push_back("--troupe.seeds-refresh=200ms");
      specs.push_back({std::string{"s"} + std::to_string(i + 1),
                       std::string{"127.0.0.1:"} + std::to_string(ports[i]),
                       std::move(args)});
    }
    err = start_together(specs);
    if (!port_race(err))
      break;
    WARN("a picked port was taken before its node bound it; once more: "
         << *err);
    nodes.reset();
  }
  INFO(err.value_or(""));
  REQUIRE_FALSE(err);
  REQUIRE(all_see(2));
  REQUIRE(dns.restart(records_for(true)) == std::nullopt);
  // s1 and s2 resolve a.troupe.test again within 200 ms and find s3, a
  // member of the other cluster (bounded wait on their logs).
  auto deadline = clock_type::now() + 20s;
  auto reported = [&] {
    size_t n = 0;
    for (size_t i = 0; i < 2; ++i)
      n += count(read_file(nodes->nodes()[i].log_path),
                 "127.0.0.1:" + std::to_string(ports[2])
                     + " (from srv:_troupe._tcp.a.troupe.test) is a node of "
                       "another cluster of 2 members");
    return n;
  };
  while (reported() < 2 && clock_type::now() < deadline)
    std::this_thread::sleep_for(50ms); // re-read interval, not a sync point
  CHECK(reported() == 2);              // each of s1 and s2, once
  // The other cluster's nodes see nothing wrong: their records did not change.
  for (size_t i = 2; i < 4; ++i)
    CHECK(count(read_file(nodes->nodes()[i].log_path), "another cluster") == 0);
}
