// The user's side of a cluster with real `troupe node` processes: errors
// that name the real cause, and the member name of an actor's node.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

using namespace troupe;
using namespace std::chrono_literals;

using troupe::test::member_fixture;

namespace {

std::string context_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return {};
}

/// One rpc::request<std::string> from a fresh actor of `sys`.
std::future<caf::expected<std::string>>
request_from_actor(caf::actor_system& sys, caf::actor dest, std::string text) {
  auto done = std::make_shared<std::promise<caf::expected<std::string>>>();
  auto fut = done->get_future();
  sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    rpc::request<std::string>(self, dest, 30s, text)
        .then(
            [=](std::string x) {
              done->set_value(std::move(x));
              self->quit();
            },
            [=](const caf::error& err) {
              done->set_value(err);
              self->quit();
            });
    return {[](int) {}};
  });
  return fut;
}

} // namespace

TEST_CASE_METHOD(member_fixture, "a call to a remote actor that ended on a "
                                 "live node is receiver_down naming the node "
                                 "and the exit reason, not node_down") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  auto& sys = self_node->sys().actors();
  auto echo = self_node->spawn_on("n2", "echo");
  REQUIRE(echo);
  CHECK(member_name_of(sys, *echo) == std::optional<std::string>{"n2"});
  CHECK(member_name_of(sys, sys.node())
        == std::optional<std::string>{"tester"});
  caf::anon_send_exit(*echo, caf::exit_reason::kill);
  REQUIRE(test::await_down(sys, *echo));
  auto check = [](const caf::expected<std::string>& r) {
    REQUIRE_FALSE(r);
    INFO(render(r.error()));
    CHECK(r.error() == errc::receiver_down);
    CHECK_THAT(context_of(r.error()),
               Catch::Contains("node n2") && Catch::Contains("kill"));
  };
  check(rpc::call<std::string>(self_node->sys(), *echo, 10s, std::string{"x"}));
  auto fut = request_from_actor(sys, *echo, "x");
  REQUIRE(fut.wait_for(test::bound) == std::future_status::ready);
  check(fut.get());
  // n2 is alive and answers.
  auto again = self_node->spawn_on("n2", "echo");
  REQUIRE(again);
  CHECK(rpc::call<std::string>(self_node->sys(), *again, 10s, std::string{"y"})
        == std::string{"n2:y"});
}

TEST_CASE_METHOD(member_fixture, "a call to an actor on a SIGKILLed node is "
                                 "node_down naming the node, from a thread "
                                 "and from an actor") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  auto& sys = self_node->sys().actors();
  auto echo = self_node->spawn_on("n2", "echo");
  REQUIRE(echo);
  cluster.signal(1, SIGKILL);
  auto t0 = std::chrono::steady_clock::now();
  auto fut = request_from_actor(sys, *echo, "x");
  auto r
      = rpc::call<std::string>(self_node->sys(), *echo, 30s, std::string{"x"});
  REQUIRE(fut.wait_for(test::bound) == std::future_status::ready);
  auto a = fut.get();
  auto took = std::chrono::steady_clock::now() - t0;
  for (auto* x : {&r, &a}) {
    REQUIRE_FALSE(*x);
    INFO(render(x->error()));
    CHECK(x->error() == errc::node_down);
    CHECK_THAT(context_of(x->error()), Catch::Contains("node n2"));
  }
  CHECK(took < 15s); // at once, not at the 30 s deadline
}

TEST_CASE_METHOD(member_fixture, "wrong spawn arguments are bad_arguments "
                                 "saying which arguments the type takes") {
  REQUIRE_FALSE(cluster.start(1));
  join();
  auto bad = self_node->spawn_on("n1", "counter",
                                 caf::make_message(std::string{"x"}));
  REQUIRE_FALSE(bad);
  INFO(render(bad.error()));
  CHECK(bad.error() == errc::bad_arguments);
  // counter(self, int64_t start); the given value and its type are named.
  CHECK_THAT(context_of(bad.error()),
             Catch::Contains("it takes (long)")
                 && Catch::Contains("(\"x\") of types (std::string)"));
}

TEST_CASE_METHOD(troupe::test::fixture, "a node named like the member it joins "
                                        "through is refused with the option to "
                                        "change") {
  REQUIRE_FALSE(cluster.start(1));
  // A second node process named n1 too (own log directory: the logs are
  // named after the node).
  troupe::tools::local_cluster twin{TROUPE_BINARY, log_dir()};
  if (on_basp()) {
    twin.without_secret();
    twin.set_common_args({"--troupe.transport=basp"});
  } else {
    twin.without_secret();
    twin.set_common_args({"--troupe.cookie-file=" + cluster.cookie_file()});
  }
  auto err = twin.start_node("n1", {"--seeds", cluster.seed()}, 20s);
  REQUIRE(err);
  auto log_path = err->substr(err->rfind("see ") + 4);
  std::ifstream in{log_path};
  std::string log{std::istreambuf_iterator<char>{in}, {}};
  INFO(log);
  CHECK(log.find("node name n1 is the name of the member this node joins "
                 "through")
        != std::string::npos);
  CHECK(log.find("give every node its own --troupe.node-name")
        != std::string::npos);
  CHECK(log.find("unregister the old one") == std::string::npos);
}

TEST_CASE_METHOD(troupe::test::fixture, "a node with another set of message "
                                        "types is refused with the names that "
                                        "differ, never the digest") {
  REQUIRE_FALSE(cluster.start(1));
  // The odd node (one message type more) with the cluster's secret, so that
  // it gets as far as the type check.
  troupe::tools::local_cluster odd{TROUPE_ODD_NODE_BINARY, log_dir()};
  odd.without_secret();
  if (on_basp())
    odd.set_common_args({"--troupe.transport=basp"});
  else
    odd.set_common_args({"--troupe.cookie-file=" + cluster.cookie_file()});
  auto err = odd.start_node("odd", {"--seeds", cluster.seed()}, 20s);
  REQUIRE(err);
  auto log_path = err->substr(err->rfind("see ") + 4);
  std::ifstream in{log_path};
  std::string log{std::istreambuf_iterator<char>{in}, {}};
  INFO(log);
  CHECK(log.find("type_set_mismatch") != std::string::npos);
  auto only_odd = log.find("only odd registers ");
  REQUIRE(only_odd != std::string::npos);
  CHECK(log.find("troupe.extra_test_type", only_odd) != std::string::npos);
  CHECK(log.find("digest") == std::string::npos);
}

TEST_CASE_METHOD(troupe::test::fixture, "a joiner that lacks types of the "
                                        "member learns their names only over "
                                        "an authenticated transport") {
  // The odd node is the seed here: the plain node lacks its extra type.
  troupe::tools::local_cluster odd{TROUPE_ODD_NODE_BINARY, log_dir()};
  odd.without_secret();
  if (on_basp())
    odd.set_common_args({"--troupe.transport=basp"});
  else
    odd.set_common_args({"--troupe.cookie-file=" + cluster.cookie_file()});
  REQUIRE_FALSE(odd.start_node("odd", {}, 20s));
  auto err = cluster.start_node("plain", {"--seeds", odd.seed()}, 20s);
  REQUIRE(err);
  auto log_path = err->substr(err->rfind("see ") + 4);
  std::ifstream in{log_path};
  std::string log{std::istreambuf_iterator<char>{in}, {}};
  INFO(log);
  CHECK(log.find("type_set_mismatch") != std::string::npos);
  if (on_basp()) {
    CHECK(log.find("odd registers 3 types that plain lacks")
          != std::string::npos);
    CHECK(log.find("troupe.extra_test_type") == std::string::npos);
  } else {
    auto only_odd = log.find("only odd registers ");
    REQUIRE(only_odd != std::string::npos);
    CHECK(log.find("troupe.extra_test_type", only_odd) != std::string::npos);
  }
}
