// The node layer with real processes: `troupe node` on loopback, ephemeral
// ports, SIGKILL and SIGTERM. Every wait is bounded; the nodes die with the
// test process (local_cluster sets PR_SET_PDEATHSIG).

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

using namespace troupe;
using namespace std::chrono_literals;
using troupe::tools::local_cluster;

using troupe::test::fixture;
using troupe::test::member_fixture;
using troupe::test::echo_node;

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
                          "then removed, not failing") {
  REQUIRE_FALSE(cluster.start(3));
  for (size_t i = 0; i < 3; ++i)
    REQUIRE(all_up(i, 3));
  cluster.signal(2, SIGTERM);
  // leaving while it stops, then removed once its process is gone; never
  // suspect or down.
  auto removed = [](auto& xs) { return state_in(xs, "n3") == member_state::removed; };
  CHECK(eventually(0, removed));
  CHECK(eventually(1, removed));
}

// A node with another set of message types: api_test.cpp ("... refused
// with the names that differ, never the digest") checks the refusal itself,
// in the odd node's log, with the cluster's secret.

TEST_CASE_METHOD(fixture, "a seed address with nothing behind it is a clear "
                          "error, not a hang") {
  auto err = cluster.start_node("lonely", {"--seeds", "127.0.0.1:1",
                                           "--troupe.join-timeout=1s"},
                                20s);
  REQUIRE(err);
  // It gave up by itself (not killed for not reporting an address), and
  // says why.
  INFO(*err);
  CHECK(err->find("exited during start-up") != std::string::npos);
  auto log_path = err->substr(err->rfind("see ") + 4);
  std::ifstream in{log_path};
  std::string log{std::istreambuf_iterator<char>{in}, {}};
  INFO(log);
  CHECK(log.find("could not join through any seed within 1 s") != std::string::npos);
  auto cause = on_basp() ? "seed 127.0.0.1:1: caf: cannot_connect_to_node"
                         : "seed 127.0.0.1:1: nothing listens on 127.0.0.1:1 "
                           "(connection refused)";
  CHECK(log.find(cause) != std::string::npos);
  // One line for the cause, not one per round, and the advice once.
  auto count = [&](const std::string& text) {
    size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos;
         at = log.find(text, at + 1))
      ++n;
    return n;
  };
  CHECK(count("no seed answered") == 1);
  CHECK(count("check --troupe.seeds") == 1);
  CHECK(count("retry on another node") <= 1);
}

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

} // namespace

TEST_CASE_METHOD(member_fixture, "remote spawn by exported type name answers "
                                 "requests across nodes") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  REQUIRE(all_up(0, 3));
  auto echo = self_node->spawn_on("n2", "echo");
  REQUIRE(echo);
  CHECK(test::ask<std::string>(self_node->sys().actors(), *echo,
                               std::string{"hi"})
        == std::string{"n2:hi"});
  auto c = self_node->spawn_on("n1", "counter", caf::make_message(int64_t{40}));
  REQUIRE(c);
  CHECK(test::ask<int64_t>(self_node->sys().actors(), *c, add_atom::value,
                           int64_t{2})
        == int64_t{42});
  SECTION("an unknown type is an error value and the node keeps running") {
    auto bad = self_node->spawn_on("n2", "no_such_type");
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::unknown_actor_type);
  }
  SECTION("a type the node knows but does not export is not_allowed") {
    auto bad = self_node->spawn_on("tester", "tester-only");
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::not_allowed);
  }
  SECTION("wrong arguments are an error value") {
    auto bad = self_node->spawn_on("n2", "counter",
                                   caf::make_message(std::string{"x"}));
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::bad_arguments);
  }
  SECTION("a down node is node_down") {
    cluster.signal(1, SIGKILL);
    // Wait until this node itself saw n2 go down.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    bool down = false;
    while (!down && std::chrono::steady_clock::now() < deadline) {
      auto xs = self_node->members();
      down = xs && state_in(*xs, "n2") == member_state::down;
    }
    REQUIRE(down);
    auto bad = self_node->spawn_on("n2", "echo", {}, 2s);
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::node_down);
  }
  // Whatever was sent, n2 (if alive) and n1 still answer.
  CHECK(test::ask<std::string>(self_node->sys().actors(),
                               *self_node->spawn_on("n1", "echo"),
                               std::string{"still"})
        == std::string{"n1:still"});
}

TEST_CASE_METHOD(member_fixture, "placement spreads spawns over the members "
                                 "that are up") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  REQUIRE(all_up(0, 3));
  std::set<std::string> where;
  for (int i = 0; i < 3; ++i) {
    auto e = self_node->spawn_on(placement::round_robin, "echo");
    REQUIRE(e);
    auto reply = test::ask<std::string>(self_node->sys().actors(), *e,
                                        std::string{"x"});
    REQUIRE(reply);
    where.insert(reply->substr(0, reply->find(':')));
  }
  CHECK(where == std::set<std::string>{"n1", "n2", "tester"});
  auto first = self_node->spawn_on(placement::key_hash("user-7"), "echo");
  auto second = self_node->spawn_on(placement::key_hash("user-7"), "echo");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(test::ask<std::string>(self_node->sys().actors(), *first, std::string{""})
        == test::ask<std::string>(self_node->sys().actors(), *second,
                                  std::string{""}));
}

TEST_CASE_METHOD(member_fixture, "the cluster registry is visible from every "
                                 "node and forgets the names of a node that "
                                 "leaves") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  REQUIRE(all_up(0, 3));
  auto counter = self_node->spawn_on("n1", "counter", caf::make_message(int64_t{7}));
  REQUIRE(counter);
  REQUIRE_FALSE(self_node->register_name("the-counter", *counter));
  CHECK(self_node->lookup("the-counter") == *counter);
  // Every other node finds it too, and the handle works from there.
  for (auto name : {"n1", "n2"}) {
    auto agent = agent_of(name);
    REQUIRE(agent);
    caf::expected<caf::actor> found{caf::error{}};
    auto deadline = std::chrono::steady_clock::now() + 10s;
    do {
      found = test::ask<caf::actor>(self_node->sys().actors(), agent,
                                    whereis_atom::value,
                                    std::string{"the-counter"});
    } while (!found && std::chrono::steady_clock::now() < deadline);
    REQUIRE(found);
  }
  auto unknown = self_node->lookup("nobody");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == errc::unknown_name);
  // The tester leaves: its registrations disappear everywhere.
  auto n1_agent = agent_of("n1");
  REQUIRE_FALSE(self_node->leave());
  bool gone = false;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!gone && std::chrono::steady_clock::now() < deadline)
    gone = !test::ask<caf::actor>(self_node->sys().actors(), n1_agent,
                                  whereis_atom::value,
                                  std::string{"the-counter"});
  CHECK(gone);
}

TEST_CASE_METHOD(member_fixture, "process groups span nodes and broadcast "
                                 "reaches every member") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  REQUIRE(all_up(0, 3));
  auto a = self_node->spawn_on("n1", "counter", caf::make_message(int64_t{0}));
  auto b = self_node->spawn_on("n2", "counter", caf::make_message(int64_t{0}));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE_FALSE(self_node->join_group("counters", *a));
  REQUIRE_FALSE(self_node->join_group("counters", *b));
  auto members = self_node->group_members("counters");
  REQUIRE(members);
  CHECK(members->size() == 2);
  // n2's agent learns the group too.
  auto n2 = agent_of("n2");
  REQUIRE(n2);
  size_t seen = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen < 2 && std::chrono::steady_clock::now() < deadline) {
    auto xs = test::ask<std::vector<caf::actor>>(
      self_node->sys().actors(), n2, group_members_atom::value,
      std::string{"counters"});
    seen = xs ? xs->size() : 0;
  }
  CHECK(seen == 2);
  auto sent = self_node->broadcast("counters",
                                   caf::make_message(add_atom::value, int64_t{5}));
  REQUIRE(sent);
  CHECK(*sent == 2);
  // The broadcast is asynchronous: wait (bounded) until both counted it.
  for (auto& target : {*a, *b}) {
    caf::expected<int64_t> total{int64_t{0}};
    auto until = std::chrono::steady_clock::now() + 10s;
    do {
      total = test::ask<int64_t>(self_node->sys().actors(), target,
                                 get_atom::value);
    } while (total && *total != 5 && std::chrono::steady_clock::now() < until);
    CHECK(total == int64_t{5});
  }
}

TEST_CASE_METHOD(member_fixture, "a supervised remote child is restarted on "
                                 "another node when its node is killed, and "
                                 "its names follow it") {
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
  // The cluster registry has the remote actor itself under the same name
  // (registered by the stand-in once it runs: ask again, bounded).
  auto registered = self_node->lookup("echo");
  for (auto until = std::chrono::steady_clock::now() + 10s;
       !registered && std::chrono::steady_clock::now() < until;
       registered = self_node->lookup("echo"))
    std::this_thread::sleep_for(5ms); // re-query interval, not a sync point
  REQUIRE(registered);
  CHECK(echo_node(sys.actors(), *registered) == first);
  CHECK(registered->node() != self_node->sys().actors().node());

  auto killed = static_cast<size_t>(first[1] - '1');
  cluster.signal(killed, SIGKILL);
  // The stable name answers from another node once the child has restarted;
  // a request that reaches the dying incarnation fails, so ask again
  // (bounded).
  std::string second;
  auto deadline = std::chrono::steady_clock::now() + 40s;
  do {
    second = echo_node(sys.actors(), *name);
  } while ((second == first || second.starts_with("error"))
           && std::chrono::steady_clock::now() < deadline);
  CHECK(second != first);
  CHECK(second.starts_with("n"));
  auto kids = root->which_children();
  REQUIRE(kids);
  REQUIRE(kids->size() == 1);
  // The registry entry follows too (it is re-registered by the new
  // incarnation's stand-in).
  std::string via_registry;
  deadline = std::chrono::steady_clock::now() + 40s;
  do {
    auto hdl = self_node->lookup("echo");
    via_registry = hdl ? echo_node(sys.actors(), *hdl) : "error";
  } while (via_registry != second && std::chrono::steady_clock::now() < deadline);
  CHECK(via_registry == second);

  // Stopping the supervisor stops the remote actor on its node.
  auto remote = self_node->lookup("echo");
  REQUIRE(remote);
  REQUIRE_FALSE(root->shutdown());
  CHECK(test::await_down(sys.actors(), *remote));
}

TEST_CASE_METHOD(member_fixture, "a remote child of a type its node knows "
                                 "but does not export fails with not_allowed "
                                 "and its supervisor escalates") {
  REQUIRE_FALSE(cluster.start(1));
  join(); // a worker that knows "tester-only" but does not export it
  // A key that places on the tester among the workers {n1, tester}.
  std::vector<member_info> workers(2);
  workers[0].name = "n1";
  workers[1].name = "tester";
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    auto k = "k" + std::to_string(i);
    if (placement::key_hash(k).pick(workers, 0) == 1)
      key = k;
  }
  // The remote start is asynchronous: like an OTP child that crashes right
  // after init, the failure counts against the restart intensity.
  auto root = self_node->sys().start(supervisor_spec{
    .strategy = one_for_one,
    .intensity = 0,
    .period = 1s,
    .children = {child("ghost", "tester-only").on(placement::key_hash(key))},
  });
  // The refusal comes from this very node, so it may come before start
  // returns (start fails) or after (the supervisor escalates).
  std::string text;
  if (!root) {
    text = render(root.error());
  } else {
    auto reason = test::await_down(self_node->sys().actors(), root->handle());
    REQUIRE(reason);
    text = render(*reason);
  }
  INFO(text);
  CHECK(text.find("not_allowed") != std::string::npos);
  CHECK(text.find("node tester does not export \"tester-only\"") != std::string::npos);
}

namespace {

/// Starts `n` remote children of type echo placed by `where`, under one
/// supervisor of this node, and says how many run on each node
/// ("n1=4 n2=4 n3=4").
std::string place_children(troupe::system& sys, int n,
                                          const placement& where) {
  std::vector<child_spec> kids;
  for (int i = 0; i < n; ++i)
    kids.push_back(child("echo-" + std::to_string(i), "echo").on(where));
  auto root = sys.start(supervisor_spec{
    .strategy = one_for_one,
    .intensity = 0,
    .period = 30s,
    .children = std::move(kids),
  });
  REQUIRE(root);
  auto rows = root->which_children();
  REQUIRE(rows);
  REQUIRE(rows->size() == static_cast<size_t>(n));
  std::map<std::string, int> result;
  for (auto& row : *rows)
    ++result[echo_node(sys.actors(), row.handle)];
  REQUIRE_FALSE(root->shutdown());
  std::string text;
  for (auto& [where_it_runs, count] : result)
    text += (text.empty() ? "" : " ") + where_it_runs + "=" + std::to_string(count);
  return text;
}

} // namespace

TEST_CASE_METHOD(member_fixture, "12 round-robin remote children of a client "
                                 "that has just joined run 4/4/4 on 3 worker "
                                 "nodes") {
  REQUIRE_FALSE(cluster.start(3));
  // No wait for the connections: the supervisor starts right after the
  // join, as the jobs demo's does.
  join("client", false);
  auto counts = place_children(self_node->sys(), 12, placement::round_robin);
  CHECK(counts == "n1=4 n2=4 n3=4");
}

TEST_CASE_METHOD(member_fixture, "12 round-robin remote children of a client "
                                 "connected to every member run 4/4/4 on 3 "
                                 "worker nodes") {
  REQUIRE_FALSE(cluster.start(3));
  join("client");
  auto counts = place_children(self_node->sys(), 12, placement::round_robin);
  CHECK(counts == "n1=4 n2=4 n3=4");
}

TEST_CASE_METHOD(member_fixture, "a burst of least_loaded remote children "
                                 "spreads over idle worker nodes instead of "
                                 "piling on the one least loaded a heartbeat "
                                 "ago") {
  REQUIRE_FALSE(cluster.start(3));
  join("client");
  auto counts = place_children(self_node->sys(), 12, placement::least_loaded);
  // The nodes run about as many actors each (their own, give or take one or
  // two); every placement counts as load until the node's next heartbeat.
  INFO(counts);
  std::istringstream in{counts};
  std::string entry;
  int nodes = 0;
  while (in >> entry) {
    ++nodes;
    auto n = std::stoi(entry.substr(entry.find('=') + 1));
    CHECK(n >= 2);
    CHECK(n <= 6);
  }
  CHECK(nodes == 3);
}

TEST_CASE_METHOD(member_fixture, "spawn_on a member right after joining waits "
                                 "for the connection to it") {
  REQUIRE_FALSE(cluster.start(3));
  join("client", false);
  for (auto name : {"n3", "n2", "n1"}) {
    auto e = self_node->spawn_on(name, "echo", {}, 20s);
    REQUIRE(e);
    CHECK(echo_node(self_node->sys().actors(), *e) == name);
  }
  auto none = self_node->spawn_on("n9", "echo", {}, 2s);
  REQUIRE_FALSE(none);
  CHECK(none.error() == errc::node_down);
}
