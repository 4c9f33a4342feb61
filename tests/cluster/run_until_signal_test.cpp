// node::run_until_signal: two nodes in this process; the second serves until
// SIGTERM, then leaves and stops in order.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include <troupe/troupe.hpp>

#include "../unit/test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

/// The handler SIGTERM has now.
void (*term_handler())(int) {
  struct sigaction cur {};
  sigaction(SIGTERM, nullptr, &cur);
  return cur.sa_handler;
}

std::optional<member_state> state_of(node& n, const std::string& name) {
  auto xs = n.members(5s);
  if (xs)
    for (auto& m : *xs)
      if (m.name == name)
        return m.state;
  return std::nullopt;
}

} // namespace

TEST_CASE("run_until_signal serves until SIGTERM, then leaves the cluster "
          "and stops the node") {
  test::test_config cfg_a;
  cfg_a.set("troupe.node-name", "a");
  cfg_a.set("troupe.listen", "127.0.0.1:0");
  auto a = node::start(cfg_a);
  REQUIRE(a);
  test::test_config cfg_b;
  cfg_b.set("troupe.node-name", "b");
  cfg_b.set("troupe.listen", "127.0.0.1:0");
  cfg_b.set("troupe.seeds", "127.0.0.1:" + std::to_string((*a)->port()));
  auto b = node::start(cfg_b);
  REQUIRE(b);
  REQUIRE((*a)->await_member("b", 20s));
  auto before = term_handler(); // Catch's own, while a test runs
  auto served = std::async(std::launch::async,
                           [&] { return (*b)->run_until_signal(); });
  // Bounded: until run_until_signal has its handler in place.
  auto deadline = std::chrono::steady_clock::now() + test::bound;
  while (term_handler() == before
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(term_handler() != before);
  kill(getpid(), SIGTERM);
  REQUIRE(served.wait_for(test::bound) == std::future_status::ready);
  CHECK(served.get() == SIGTERM);
  // The previous handler is back.
  CHECK(term_handler() == before);
  // b left (never down): a sees it leaving, then removed.
  auto st = state_of(**a, "b");
  REQUIRE(st);
  CHECK((*st == member_state::leaving || *st == member_state::removed));
  b->reset(); // destroying a stopped node is a no-op
}
