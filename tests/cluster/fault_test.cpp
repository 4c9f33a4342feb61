// Faults without false verdicts (issue 15, items 1 and 9), on real `troupe
// node` processes: a paused node (SIGSTOP) that resumes must not bring down
// the healthy members it could not hear while it was away, and a node that
// stays frozen must still be declared down within a bound.
//
// Member events are read from the nodes' logs: notify() logs every event a
// node hands its subscribers ("member NAME (HOST:PORT) down"), so a log is
// the node's complete event history, also across the pause.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

namespace troupe::test {

namespace {

using clock_type = std::chrono::steady_clock;

/// How many `member_down` events node `n` logged about member `who`.
size_t downs_logged(const tools::local_node& n, const tools::local_node& who) {
  std::ifstream in{n.log_path};
  std::string line;
  auto needle = "member " + who.name + " (" + who.address() + ") down";
  size_t count = 0;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos)
      ++count;
  return count;
}

bool membership_alive(member_state x) {
  return x == member_state::up || x == member_state::suspect
         || x == member_state::joining;
}

/// Whether node `n`'s log holds `text`.
bool logged(const tools::local_node& n, const std::string& text) {
  std::ifstream in{n.log_path};
  std::stringstream all;
  all << in.rdbuf();
  return all.str().find(text) != std::string::npos;
}

long ms_since(clock_type::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                             clock_type::now() - t)
                             .count());
}

} // namespace

TEST_CASE_METHOD(fixture, "a node paused for 6 s and resumed brings no healthy "
                          "member down, and is up again everywhere") {
  constexpr size_t n = 5;
  constexpr size_t paused = 2; // n3: not the seed
  REQUIRE_FALSE(cluster.start(static_cast<int>(n)));
  for (size_t i = 0; i < n; ++i)
    REQUIRE(all_up(i, n));
  auto& nodes = cluster.nodes();
  auto frozen_name = nodes[paused].name;
  auto start = clock_type::now();
  cluster.signal(paused, SIGSTOP);
  // The pause lasts at least 6 s (twice the default down-after) and until
  // every healthy node has declared the paused one down: the resume then
  // meets the worst case, a node that everyone else gave up on.
  for (size_t i = 0; i < n; ++i)
    if (i != paused)
      REQUIRE(eventually(
        i,
        [&](auto& xs) { return state_in(xs, frozen_name) == member_state::down; },
        20s));
  auto detected = ms_since(start);
  if (auto left = 6s - (clock_type::now() - start); left > 0s)
    std::this_thread::sleep_for(left); // the fault's length, not a sync point
  WARN("paused " << ms_since(start) << " ms; down on every healthy node after "
                 << detected << " ms");
  cluster.signal(paused, SIGCONT);
  // Settled: every node sees all five up, and nobody is down anywhere for
  // longer than down-after (a late false verdict would show in that window;
  // a passing suspicion on a loaded machine is allowed, it is refuted).
  for (size_t i = 0; i < n; ++i)
    REQUIRE(all_up(i, n));
  auto settled = clock_type::now() + 4s;
  while (clock_type::now() < settled)
    for (size_t i = 0; i < n; ++i) {
      auto xs = view_of(i);
      CHECK(xs.size() == n);
      for (auto& m : xs) {
        INFO("node " << nodes[i].name << " sees " << m.name << " "
                     << to_string(m.state));
        CHECK(membership_alive(m.state));
      }
      std::this_thread::sleep_for(50ms); // re-query interval, not a sync point
    }
  for (size_t i = 0; i < n; ++i)
    CHECK(all_up(i, n));
  // Not one member_down event for a healthy member, on any node.
  size_t false_downs = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (j != paused && j != i) {
        auto k = downs_logged(nodes[i], nodes[j]);
        INFO(nodes[i].name << " logged " << k << " member_down of healthy "
                           << nodes[j].name << " (see " << nodes[i].log_path
                           << ")");
        CHECK(k == 0);
        false_downs += k;
      }
  WARN("member_down events for healthy nodes after the resume: " << false_downs);
}

TEST_CASE_METHOD(fixture, "a node frozen for good is declared down on every "
                          "other node within the bound") {
  constexpr size_t n = 5;
  constexpr size_t frozen = 4;
  REQUIRE_FALSE(cluster.start(static_cast<int>(n)));
  for (size_t i = 0; i < n; ++i)
    REQUIRE(all_up(i, n));
  auto frozen_name = cluster.nodes()[frozen].name;
  auto start = clock_type::now();
  cluster.signal(frozen, SIGSTOP);
  // Default timing: suspected after 1 s of silence, indirect probes through
  // three other members fail, the suspicion stands 2 s: down after about
  // 3 s. The bound leaves room for sanitizers on a loaded machine.
  auto is_down = [&](auto& xs) {
    return state_in(xs, frozen_name) == member_state::down;
  };
  for (size_t i = 0; i < n; ++i)
    if (i != frozen)
      CHECK(eventually(i, is_down, 8s));
  auto took = ms_since(start);
  WARN("SIGSTOP to down on every other node: " << took << " ms");
  CHECK(took < 8000);
  // Nobody else was taken down with it.
  for (size_t i = 0; i < n; ++i)
    if (i != frozen)
      for (size_t j = 0; j < n; ++j)
        if (j != frozen && j != i)
          CHECK(downs_logged(cluster.nodes()[i], cluster.nodes()[j]) == 0);
}

TEST_CASE_METHOD(fixture, "a SIGKILLed node among five is declared down on "
                          "every other node within the bound") {
  constexpr size_t n = 5;
  constexpr size_t killed = 3;
  REQUIRE_FALSE(cluster.start(static_cast<int>(n)));
  for (size_t i = 0; i < n; ++i)
    REQUIRE(all_up(i, n));
  auto name = cluster.nodes()[killed].name;
  auto start = clock_type::now();
  cluster.signal(killed, SIGKILL);
  for (size_t i = 0; i < n; ++i)
    if (i != killed)
      CHECK(eventually(
        i, [&](auto& xs) { return state_in(xs, name) == member_state::down; },
        8s));
  auto took = ms_since(start);
  WARN("SIGKILL to down on every other node: " << took << " ms");
  CHECK(took < 8000);
}

// [native]: CAF's BASP closes a connection only on its own heartbeat
// timeout, so there a down verdict cannot close it (link_layer.hpp).
TEST_CASE_METHOD(member_fixture, "a frozen node's remote child moves to "
                                 "another node during the freeze, and the "
                                 "node fences it when it resumes",
                 "[native]") {
  REQUIRE_FALSE(cluster.start(3));
  join("client"); // the tester hosts no placed actors
  auto& sys = self_node->sys();
  auto root = sys.start(supervisor_spec{
    .strategy = one_for_one,
    .intensity = 5,
    .period = 30s,
    .children = {child("echo", "echo").on(placement::round_robin).named("echo")},
  });
  REQUIRE(root);
  auto name = sys.whereis("echo");
  REQUIRE(name);
  auto first = echo_node(sys.actors(), *name);
  REQUIRE(first.size() == 2);
  REQUIRE(first[0] == 'n');
  auto frozen = static_cast<size_t>(first[1] - '1');
  auto& host = cluster.nodes().at(frozen);
  auto start = clock_type::now();
  cluster.signal(frozen, SIGSTOP);
  // Downing acts: once the frozen host is down, its connections are
  // closed, the child's stand-in sees its remote actor unreachable and the
  // supervisor restarts it elsewhere, while the host is still frozen (its
  // TCP connections would otherwise keep the old incarnation "alive").
  std::string second;
  auto deadline = clock_type::now() + 30s;
  do { // asked again each second: a request to the frozen one is lost
    second = echo_node(sys.actors(), *name, 1s);
  } while ((second == first || second.starts_with("error"))
           && clock_type::now() < deadline);
  auto moved = ms_since(start);
  INFO("the child answered from " << second << " after " << moved << " ms");
  CHECK(second != first);
  CHECK_FALSE(second.starts_with("error"));
  WARN("a frozen host's remote child answered from another node after "
       << moved << " ms");
  // The freeze lasts 5 s at least (the fault's length, not a sync point).
  if (auto left = 5s - (clock_type::now() - start); left > 0s)
    std::this_thread::sleep_for(left);
  // On SIGCONT the host knows it was away long enough to have been
  // declared down: it stops what it hosts for others before it comes back,
  // so the child never runs twice.
  cluster.signal(frozen, SIGCONT);
  for (size_t i = 0; i < 3; ++i)
    CHECK(all_up(i, 4));
  // The fence runs on resume. It finds the old child, or none when the
  // closed connections ended it first through its link to its stand-in
  // (remote_link_unreachable): either way it no longer runs.
  const std::string fence_line = "actors it hosts for others (their owners "
                                 "restart them elsewhere) before it rejoins";
  auto fenced = clock_type::now() + 20s;
  while (!logged(host, fence_line) && clock_type::now() < fenced)
    std::this_thread::sleep_for(50ms); // re-read interval, not a sync point
  INFO("see " << host.log_path);
  CHECK(logged(host, fence_line));
  // The name still reaches the one incarnation there is.
  CHECK(echo_node(sys.actors(), *name) == second);
}

} // namespace troupe::test
