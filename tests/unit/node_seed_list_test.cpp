// Specification of the --troupe.seeds entries (runtime/src/node/
// seed_list.hpp) and of their resolution through DNS (dns_resolver.hpp)
// against a real dnsmasq on a loopback port: A/AAAA, SRV, names that
// resolve to nothing, and the caps on what a hostile server may answer.

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dnsmasq_server.hpp"
#include "node/dns_resolver.hpp"
#include "node/seed_list.hpp"
#include "troupe/errc.hpp"

using namespace troupe;
using namespace troupe::detail;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text) {
  auto x = parse_seeds(text);
  REQUIRE_FALSE(x);
  CHECK(x.error() == errc::invalid_config);
  return render(x.error());
}

std::vector<std::string> texts(const seed_resolution& r) {
  std::vector<std::string> xs;
  for (auto& e : r.endpoints)
    xs.push_back(e.to_string());
  std::sort(xs.begin(), xs.end());
  return xs;
}

} // namespace

TEST_CASE("seed entries are HOST:PORT, dns:NAME:PORT or srv:NAME, mixed") {
  auto xs = parse_seeds("10.0.0.1:4000, dns:troupe.default.svc:4000,"
                        "srv:_troupe._tcp.troupe.default.svc.cluster.local,"
                        "[fd00::1]:4001,,");
  REQUIRE(xs);
  REQUIRE(xs->size() == 4);
  CHECK((*xs)[0].kind == seed_entry::literal);
  CHECK((*xs)[0].host == "10.0.0.1");
  CHECK((*xs)[0].port == 4000);
  CHECK((*xs)[1].kind == seed_entry::dns);
  CHECK((*xs)[1].host == "troupe.default.svc");
  CHECK((*xs)[1].port == 4000);
  CHECK((*xs)[2].kind == seed_entry::srv);
  CHECK((*xs)[2].host == "_troupe._tcp.troupe.default.svc.cluster.local");
  CHECK((*xs)[2].port == 0);
  CHECK((*xs)[3].kind == seed_entry::literal);
  CHECK((*xs)[3].host == "fd00::1");
  CHECK((*xs)[3].port == 4001);
  CHECK(parse_seeds("")->empty());
}

TEST_CASE("a bad seed entry says what is wrong and shows the accepted forms") {
  auto forms = std::string{"the accepted forms are "} + seed_forms;
  auto no_port = error_of("dns:troupe.test");
  CHECK_THAT(no_port,
             Catch::Contains("\"dns:troupe.test\": dns: needs a port"));
  CHECK_THAT(no_port, Catch::Contains(forms));
  CHECK_THAT(error_of("k8s:troupe:4000"),
             Catch::Contains("unknown prefix \"k8s:\"")
                 && Catch::Contains(forms));
  CHECK_THAT(error_of("DNS:troupe.test:4000"),
             Catch::Contains("unknown prefix"));
  CHECK_THAT(error_of("dns:troupe.test:99999"),
             Catch::Contains("the port must be a number from 1 to 65535"));
  CHECK_THAT(error_of("dns:troupe.test:0"), Catch::Contains("from 1 to 65535"));
  CHECK_THAT(error_of("srv:_troupe._tcp.troupe.test:4000"),
             Catch::Contains("srv: takes no port"));
  CHECK_THAT(error_of("srv:"), Catch::Contains("is not a DNS name"));
  CHECK_THAT(error_of("dns:bad name:4000"),
             Catch::Contains("is not a DNS name"));
  CHECK_THAT(error_of("10.0.0.1"), Catch::Contains("no port"));
  CHECK_THAT(error_of("10.0.0.1:4000,10.0.0.2:x"),
             Catch::Contains("\"10.0.0.2:x\""));
  // A label of 64 characters, a name of more than 253.
  CHECK_THAT(error_of("dns:" + std::string(64, 'a') + ".test:1"),
             Catch::Contains("is not a DNS name"));
  std::string long_name;
  for (int i = 0; i < 50; ++i)
    long_name += "abcde.";
  CHECK_THAT(error_of("srv:" + long_name),
             Catch::Contains("is not a DNS name"));
}

TEST_CASE("troupe.dns-server is HOST[:PORT], port 53 by default") {
  CHECK(*parse_dns_server("127.0.0.1:5353") == "127.0.0.1:5353");
  CHECK(*parse_dns_server("10.96.0.10") == "10.96.0.10:53");
  CHECK(*parse_dns_server("[::1]:5353") == "[::1]:5353");
  CHECK(*parse_dns_server("::1") == "[::1]:53");
  CHECK_FALSE(parse_dns_server("127.0.0.1:"));
  CHECK_FALSE(parse_dns_server("127.0.0.1:70000"));
  CHECK_FALSE(parse_dns_server("[::1"));
}

TEST_CASE("the lowest address is the IPv4 one of the fewest bytes, then the "
          "lowest port") {
  std::vector<seed_endpoint> xs = {{"10.0.0.2", 1},
                                   {"fd00::1", 1},
                                   {"10.0.0.10", 1},
                                   {"10.0.0.2", 0},
                                   {"9.255.255.255", 9}};
  std::sort(xs.begin(), xs.end(), address_less);
  CHECK(xs[0].to_string() == "9.255.255.255:9");
  CHECK(xs[1].to_string() == "10.0.0.2:0");
  CHECK(xs[2].to_string() == "10.0.0.2:1");
  CHECK(xs[3].to_string() == "10.0.0.10:1"); // by bytes, not as text
  CHECK(xs[4].to_string() == "[fd00::1]:1");
}

TEST_CASE("dns: and srv: seeds resolve through a real DNS server, capped and "
          "without port-0 targets") {
  std::vector<std::string> records = {
      "--host-record=a.troupe.test,127.0.0.5,fd00::5",
      "--host-record=b.troupe.test,127.0.0.6",
      "--srv-host=_troupe._tcp.troupe.test,a.troupe.test,4001",
      "--srv-host=_troupe._tcp.troupe.test,b.troupe.test,4002",
      "--srv-host=_troupe._tcp.troupe.test,b.troupe.test,0",
      "--srv-host=_troupe._tcp.zero.test,a.troupe.test,0",
      "--srv-host=_troupe._tcp.lost.test,nowhere.troupe.test,4000",
  };
  // A hostile server's flood: 100 addresses for one name.
  for (int i = 1; i <= 100; ++i)
    records.push_back("--host-record=many.troupe.test,127.0.1."
                      + std::to_string(i));
  test::dnsmasq_server dns;
  if (auto err = dns.start(records)) {
    WARN("SKIPPED: " << *err);
    return;
  }
  auto server = parse_dns_server(dns.address());
  REQUIRE(server);
  auto resolver = dns_resolver::make(*server, 2s);
  REQUIRE(resolver);
  auto& r = **resolver;
  auto resolve = [&](const std::string& text) {
    auto e = parse_seed(text);
    REQUIRE(e);
    return r.resolve(*e);
  };
  SECTION("dns: gives every A and AAAA address at the port") {
    auto x = resolve("dns:a.troupe.test:4000");
    CHECK(x.cause.empty());
    CHECK(texts(x)
          == std::vector<std::string>{"127.0.0.5:4000", "[fd00::5]:4000"});
  }
  SECTION(
      "srv: gives the targets' addresses at the records' ports, not port 0") {
    auto x = resolve("srv:_troupe._tcp.troupe.test");
    CHECK(x.cause.empty());
    CHECK(texts(x)
          == std::vector<std::string>{"127.0.0.5:4001", "127.0.0.6:4002",
                                      "[fd00::5]:4001"});
    auto zero = resolve("srv:_troupe._tcp.zero.test");
    CHECK(zero.endpoints.empty());
    CHECK(zero.cause == "no SRV record with a port");
  }
  SECTION("a name with nothing behind it resolves to nothing, with the cause") {
    auto x = resolve("dns:none.troupe.test:4000");
    CHECK(x.endpoints.empty());
    CHECK_FALSE(x.cause.empty());
    auto y = resolve("srv:_troupe._tcp.none.test");
    CHECK(y.endpoints.empty());
    CHECK_FALSE(y.cause.empty());
    auto lost = resolve("srv:_troupe._tcp.lost.test");
    CHECK(lost.endpoints.empty());
    CHECK_THAT(lost.cause, Catch::Contains("nowhere.troupe.test"));
  }
  SECTION("at most 64 addresses of one name are used") {
    auto x = resolve("dns:many.troupe.test:4000");
    CHECK(x.cause.empty());
    CHECK(x.endpoints.size() == dns_resolver::max_addresses);
  }
}

TEST_CASE("a DNS server that does not answer costs about troupe.dns-timeout") {
  // A UDP port nobody serves on: c-ares is refused or times out.
  auto port = test::free_port(SOCK_DGRAM);
  auto resolver
      = dns_resolver::make("127.0.0.1:" + std::to_string(port), 300ms);
  REQUIRE(resolver);
  auto e = parse_seed("srv:_troupe._tcp.troupe.test");
  REQUIRE(e);
  auto start = std::chrono::steady_clock::now();
  auto x = (*resolver)->resolve(*e);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(x.endpoints.empty());
  CHECK_FALSE(x.cause.empty());
  CHECK(took < 2s);
}
