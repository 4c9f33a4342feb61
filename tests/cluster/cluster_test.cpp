// The node layer with real processes: `troupe node` on loopback, ephemeral
// ports, SIGKILL and SIGTERM. Every wait is bounded; the nodes die with the
// test process (local_cluster sets PR_SET_PDEATHSIG).

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include <catch2/catch.hpp>

#include "troupe/local_cluster.hpp"
#include "../unit/test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;
using troupe::cli::local_cluster;

namespace {

struct fixture {
  test::test_config cfg;
  troupe::system sys{cfg};
  local_cluster cluster{TROUPE_BINARY, log_dir()};

  /// One log directory per test case, so a failure's logs stand alone.
  static std::string log_dir() {
    static int counter = 0;
    mkdir(TROUPE_TEST_LOGS, 0755);
    return std::string{TROUPE_TEST_LOGS} + "/" + std::to_string(getpid()) + "-"
           + std::to_string(++counter);
  }

  std::vector<member_info> view_of(size_t i) {
    auto& n = cluster.nodes().at(i);
    auto xs = query_members(sys.actors(), n.host, n.port, 5s);
    return xs ? *xs : std::vector<member_info>{};
  }

  static std::optional<member_state> state_in(const std::vector<member_info>& xs,
                                              const std::string& name) {
    for (auto& m : xs)
      if (m.name == name)
        return m.state;
    return std::nullopt;
  }

  /// Waits (bounded) until node i's view satisfies `pred`. Membership lives
  /// in other processes, so this asks them again until it holds.
  bool eventually(size_t i,
                  std::function<bool(const std::vector<member_info>&)> pred,
                  std::chrono::milliseconds bound = 20s) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(view_of(i)))
        return true;
      std::this_thread::sleep_for(20ms); // re-query interval, not a sync point
    }
    return false;
  }

  bool all_up(size_t i, size_t n) {
    return eventually(i, [n](auto& xs) {
      size_t up = 0;
      for (auto& m : xs)
        up += m.state == member_state::up ? 1 : 0;
      return up == n;
    });
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "three nodes join through a seed and every node sees "
                          "all three up") {
  REQUIRE_FALSE(cluster.start(3));
  for (size_t i = 0; i < 3; ++i)
    CHECK(all_up(i, 3));
}

TEST_CASE_METHOD(fixture, "a SIGKILLed node is marked down on every survivor "
                          "within the bound") {
  REQUIRE_FALSE(cluster.start(3));
  for (size_t i = 0; i < 3; ++i)
    REQUIRE(all_up(i, 3));
  auto start = std::chrono::steady_clock::now();
  cluster.signal(2, SIGKILL);
  auto is_down = [](auto& xs) { return state_in(xs, "n3") == member_state::down; };
  // The default down-after is 3 s; a killed process is seen sooner, through
  // its broken connection.
  CHECK(eventually(0, is_down, 3s));
  CHECK(eventually(1, is_down, 3s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - start);
  WARN("SIGKILL to member_down on both survivors: " << took.count() << " ms");
}

TEST_CASE_METHOD(fixture, "a restarted node rejoins and is up again "
                          "everywhere") {
  REQUIRE_FALSE(cluster.start(3));
  REQUIRE(all_up(0, 3));
  cluster.signal(1, SIGKILL);
  REQUIRE(eventually(0, [](auto& xs) {
    return state_in(xs, "n2") == member_state::down;
  }));
  REQUIRE_FALSE(cluster.restart(1));
  for (size_t i = 0; i < 3; ++i)
    CHECK(all_up(i, 3));
}

TEST_CASE_METHOD(fixture, "a node that leaves gracefully is seen leaving, "
                          "not failing") {
  REQUIRE_FALSE(cluster.start(3));
  for (size_t i = 0; i < 3; ++i)
    REQUIRE(all_up(i, 3));
  cluster.signal(2, SIGTERM);
  auto left = [](auto& xs) { return state_in(xs, "n3") == member_state::leaving; };
  CHECK(eventually(0, left));
  CHECK(eventually(1, left));
}

TEST_CASE_METHOD(fixture, "a node with a different set of message types is "
                          "refused at join") {
  REQUIRE_FALSE(cluster.start(1));
  auto err = cluster.start_node("odd", {"--troupe.extra-test-type"}, 20s);
  REQUIRE(err);
  CHECK(err->find("exited during start-up") != std::string::npos);
  // The seed stays up and alone.
  CHECK(eventually(0, [](auto& xs) {
    return xs.size() == 1 && xs.front().state == member_state::up;
  }));
}

TEST_CASE_METHOD(fixture, "a seed address with nothing behind it is a clear "
                          "error, not a hang") {
  auto err = cluster.start_node("lonely", {"--seeds", "127.0.0.1:1",
                                           "--troupe.join-timeout=1s"},
                                20s);
  REQUIRE(err);
}
