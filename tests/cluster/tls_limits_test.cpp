// Real `troupe node` processes (issue 12): a cluster with mutual TLS, and
// the crafted-header and idle-connection attacks against a node that runs
// under a memory and a file-descriptor limit, as a production node would.
// Native transport only (cluster.cmake leaves these out on BASP: CAF 0.17's
// BASP has neither TLS that holds nor frame limits).

#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "node/agent_protocol.hpp"
#include "node/link_layer.hpp"
#include "tools/child_process.hpp"
#include "tools/cluster_pki.hpp"
#include "transport/wire.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

/// Sets the "--troupe.key=value" flags of `args` on `cfg`.
void set_flags(config& cfg, const std::vector<std::string>& args) {
  for (auto& a : args) {
    auto eq = a.find('=');
    cfg.set(a.substr(2, eq - 2), a.substr(eq + 1));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

/// CPU time (user + system) process `pid` has used, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::istringstream in{read_file("/proc/" + std::to_string(pid) + "/stat")};
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 1; in >> field; ++i) {
    if (i == 14)
      utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

/// A TCP connection to 127.0.0.1:port from source address 127.0.0.`source`.
int connect_from(int source, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl((127u << 24) | static_cast<uint32_t>(source));
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Whether the peer closes `fd` within 10 s (reads until EOF or error).
bool closed_by_peer(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n > 0)
      continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool address_sanitizer = true; // its shadow memory needs terabytes
#else
constexpr bool address_sanitizer = false;
#endif

struct tls_fixture : test::member_fixture {
  tls_fixture() {
    auto err = cluster.use_tls();
    REQUIRE_FALSE(err);
  }
  /// A process of the cluster's CA as `name`, or another CA's.
  void with_identity(config& c, const std::string& name, bool foreign = false) {
    link_options(static_cast<test::test_config&>(c));
    if (!foreign) {
      set_flags(c, cluster.tls_args(name));
      return;
    }
    auto dir = cluster.tls_dir() + "/../foreign";
    tools::pki_files files;
    std::string error;
    REQUIRE(tools::make_cluster_pki(dir, {name}, files, error));
    c.set("troupe.tls-cert", dir + "/" + name + ".pem");
    c.set("troupe.tls-key", dir + "/" + name + ".key");
    c.set("troupe.tls-ca", dir + "/ca.pem");
  }
  /// Starts a node that tries to join through n1 (3 s at most).
  caf::expected<std::unique_ptr<node>> try_join(test::test_config& c) {
    c.set("troupe.seeds", cluster.seed());
    c.set("troupe.join-timeout", caf::timespan{3s});
    return node::start(c);
  }
};

} // namespace

TEST_CASE_METHOD(tls_fixture, "with mutual TLS a cluster forms and members "
                              "are named by their certificates, while a foreign "
                              "certificate, plaintext and a name the "
                              "certificate does not prove are refused",
                 "[native]") {
  REQUIRE_FALSE(cluster.start(3));
  set_flags(node_cfg, cluster.tls_args("tester"));
  join();
  auto members = self_node->members();
  REQUIRE(members);
  CHECK(members->size() == 4);
  SECTION("a certificate of another CA") {
    test::test_config c;
    with_identity(c, "mallory", true);
    auto n = try_join(c);
    REQUIRE_FALSE(n);
    CHECK_THAT(render(n.error()), Catch::Contains("certificate"));
    CHECK_THAT(read_file(cluster.nodes().at(0).log_path),
               Catch::Contains("unknown ca"));
  }
  SECTION("plaintext, with the cluster secret") {
    test::test_config c;
    link_options(c);
    auto n = try_join(c);
    REQUIRE_FALSE(n);
    CHECK_THAT(read_file(cluster.nodes().at(0).log_path),
               Catch::Contains("does not speak TLS"));
  }
  SECTION("a name the certificate does not prove") {
    // node::start refuses it at once ...
    test::test_config c;
    with_identity(c, "mallory");
    c.set("troupe.node-name", "n2");
    auto n = try_join(c);
    REQUIRE_FALSE(n);
    CHECK_THAT(render(n.error()), Catch::Contains("names mallory"));
    // ... and a hand-made join as another member, from a process with a
    // valid certificate of the cluster's CA, is refused by the agent.
    test::test_config rc;
    with_identity(rc, "mallory");
    troupe::system rogue{add_node_types(rc)};
    auto link = detail::link_layer::make(rogue.actors(), rc, "");
    REQUIRE(link);
    auto agent = (*link)->connect(cluster.nodes().at(0).host,
                                  cluster.nodes().at(0).port, 10s);
    REQUIRE(agent);
    auto fake = rogue.actors().spawn(
      [](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; });
    member_info claim;
    claim.name = "n9";
    claim.host = "127.0.0.1";
    claim.port = 1;
    claim.agent = fake;
    caf::scoped_actor self{rogue.actors()};
    caf::error err = make_error(errc::timeout, "no answer");
    self->request(*agent, 10s, detail::join_atom::value, claim, rc.type_set_id())
      .receive([&](std::vector<member_info>&) { err = caf::error{}; },
               [&](caf::error& x) { err = std::move(x); });
    CHECK(err == errc::not_allowed);
    caf::anon_send_exit(fake, caf::exit_reason::kill);
    (*link)->stop();
  }
  // Nobody got in, and the cluster still serves its members.
  members = self_node->members();
  REQUIRE(members);
  CHECK(members->size() == 4);
  still_serves("n2");
}

TEST_CASE_METHOD(test::member_fixture,
                 "a node under a 1 GiB memory limit refuses a header "
                 "announcing 4 GB before allocating, and keeps serving",
                 "[native]") {
  if (!address_sanitizer)
    cluster.set_limits({{RLIMIT_AS, uint64_t{1} << 30}});
  REQUIRE_FALSE(cluster.start(2));
  join();
  auto& n1 = cluster.nodes().at(0);
  for (int round = 0; round < 4; ++round) {
    int fd = connect_from(1, n1.port);
    REQUIRE(fd >= 0);
    std::vector<char> header;
    detail::wire::put_u32(header, 0xFFFFFFF0u);
    header.push_back(static_cast<char>(detail::wire::kind::message));
    header.push_back(0);
    detail::wire::put_u16(header, 0);
    ::send(fd, header.data(), header.size(), MSG_NOSIGNAL);
    CHECK(closed_by_peer(fd));
    ::close(fd);
  }
  CHECK_FALSE(tools::try_reap(n1.pid)); // still running
  CHECK(all_up(0, 3));
  still_serves("n1");
}

TEST_CASE_METHOD(test::member_fixture,
                 "a node with 64 file descriptors held by 120 idle "
                 "connections backs off instead of spinning, keeps its "
                 "members, and accepts again once they go",
                 "[native]") {
  cluster.set_limits({{RLIMIT_NOFILE, 64}});
  REQUIRE_FALSE(cluster.start(2));
  join();
  auto& n1 = cluster.nodes().at(0);
  // From 30 source addresses, so that the per-address cap (16) does not
  // refuse them first: the total cap (64) and the fd limit meet them.
  std::vector<int> idle;
  for (int i = 0; i < 120; ++i)
    if (int fd = connect_from(2 + i % 30, n1.port); fd >= 0)
      idle.push_back(fd);
  CHECK(idle.size() > 64); // the kernel's backlog took them
  auto before = cpu_ticks(n1.pid);
  auto wall = std::chrono::steady_clock::now();
  // The members still hear n1 while its descriptors are gone.
  CHECK(all_up(1, 3));
  still_serves("n1");
  // Held for the handshake deadline (5 s): the node closes them itself.
  int closed = 0;
  for (int fd : idle)
    closed += closed_by_peer(fd) ? 1 : 0;
  auto spent = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                             - wall)
                 .count();
  auto cpu = static_cast<double>(cpu_ticks(n1.pid) - before)
             / static_cast<double>(sysconf(_SC_CLK_TCK));
  INFO("n1 used " << cpu << " s of CPU in " << spent << " s");
  CHECK(cpu < 0.5 * spent); // an accept loop spinning on EMFILE takes all
  CHECK(closed == static_cast<int>(idle.size()));
  for (int fd : idle)
    ::close(fd);
  CHECK_THAT(read_file(n1.log_path),
             Catch::Contains("cannot accept connections")
               || Catch::Contains("refused a connection"));
  // A new client gets in again.
  CHECK(all_up(0, 3));
}
