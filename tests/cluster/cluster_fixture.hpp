#pragma once
// The fixtures of the multi-process tests: a local cluster of `troupe node`
// processes, a plain actor system beside it (it queries the nodes, and the
// security tests use it as a rogue peer), and the test process joined as a
// member. Every wait is bounded.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tools/local_cluster.hpp"
#include "../unit/test_support.hpp"

namespace troupe::test {

using namespace std::chrono_literals;
using troupe::tools::local_cluster;

/// A local cluster and a plain actor system (not a member) to query it.
struct fixture {
  test::test_config cfg;
  troupe::system sys{troupe::add_node_types(cfg)};
  local_cluster cluster{TROUPE_BINARY, log_dir()};

  /// TROUPE_TEST_TRANSPORT=basp runs every case on CAF's BASP (no secret:
  /// BASP cannot authenticate); the default is troupe's own transport with
  /// the cluster's secret.
  static bool on_basp() {
    auto* t = std::getenv("TROUPE_TEST_TRANSPORT");
    return t != nullptr && std::string{t} == "basp";
  }

  /// The options a process needs to talk to the cluster's nodes.
  void link_options(test::test_config& c) {
    if (on_basp())
      c.set("troupe.transport", "basp");
    else
      c.set("troupe.cookie-file", cluster.cookie_file());
  }

  fixture() {
    if (on_basp()) {
      cluster.without_secret();
      cluster.set_common_args({"--troupe.transport=basp"});
    }
    link_options(cfg);
  }

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
                  std::chrono::milliseconds bound = 40s) {
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

/// The node that answered an echo ("n2:hi" -> "n2") within `timeout`, or
/// the error text ("error: ...").
inline std::string echo_node(caf::actor_system& sys, const caf::actor& dest,
                             caf::timespan timeout = bound) {
  caf::scoped_actor self{sys};
  std::string result;
  self->request(dest, timeout, std::string{"hi"})
    .receive(
      [&](std::string& reply) { result = reply.substr(0, reply.find(':')); },
      [&](caf::error& err) { result = "error: " + render(err); });
  return result;
}

/// The test process itself joins the cluster as a node.
struct member_fixture : fixture {
  test::test_config node_cfg;
  std::unique_ptr<node> self_node;

  /// Joins as a worker (it may host placed actors) or as a client; with
  /// `await_connected`, waits until this node is connected to every member.
  void join(const std::string& role = "worker", bool await_connected = true) {
    node_cfg.set("troupe.role", role);
    // The tester exports what every `troupe node` exports (echo).
    node_cfg.export_type("echo", [](caf::event_based_actor*) -> caf::behavior {
      return {[](const std::string& text) { return "tester:" + text; }};
    });
    // Known here but not exported: remote spawn must refuse it.
    node_cfg.add_actor_type("tester-only",
                            [](caf::event_based_actor*) -> caf::behavior {
                              return {[](const std::string& text) { return text; }};
                            });
    node_cfg.set("troupe.seeds", cluster.seed());
    link_options(node_cfg);
    node_cfg.set("troupe.node-name", "tester");
    auto n = node::start(node_cfg);
    REQUIRE(n);
    self_node = std::move(*n);
    if (!await_connected)
      return;
    // Wait (bounded) until this node is connected to every other member:
    // the agent answers once it is (it knows them all from the seed's view).
    caf::scoped_actor self{self_node->sys().actors()};
    for (auto& other : cluster.nodes()) {
      caf::error err;
      cluster_api::await_member_connected(self.ptr(), self_node->agent(),
                                          other.name, 40s)
        .receive([](member_info&) {}, [&](caf::error& x) { err = x; });
      INFO(other.name << ": " << render(err));
      REQUIRE_FALSE(err);
    }
  }

  /// The tester still spawns on node `name` and gets an answer.
  void still_serves(const std::string& name) {
    auto e = self_node->spawn_on(name, "echo");
    REQUIRE(e);
    CHECK(test::ask<std::string>(self_node->sys().actors(), *e,
                                 std::string{"ok"})
          == name + ":ok");
  }

  caf::actor agent_of(const std::string& name) {
    auto xs = self_node->members();
    if (xs)
      for (auto& m : *xs)
        if (m.name == name)
          return m.agent;
    return {};
  }
};

} // namespace troupe::test
