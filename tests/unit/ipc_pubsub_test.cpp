// Specification of local publish/subscribe topics (actors/pubsub).

#include <thread>

#include <catch2/catch.hpp>

#include <pubsub/broker.hpp>
#include <troupe/rpc.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;
namespace ps = troupe::pubsub;

namespace {

caf::expected<size_t> publish(caf::actor_system& sys, const caf::actor& b,
                              const std::string& topic, caf::message msg) {
  return rpc::call<size_t>(sys, b, bound, ps::publish_atom::value, topic, msg);
}

/// The next topic message at `self`, or nothing within the bound.
std::optional<std::pair<std::string, caf::message>>
next(caf::scoped_actor& self, caf::timespan within = bound) {
  std::optional<std::pair<std::string, caf::message>> result;
  self->receive(
    [&](ps::topic_atom, std::string& topic, caf::message& msg) {
      result = std::make_pair(std::move(topic), std::move(msg));
    },
    caf::after(within) >> [] {});
  return result;
}

/// How long a test waits to see that a message does NOT arrive: long
/// against a local send (microseconds), short for the suite. A zero wait
/// would only look at what is already in the mailbox.
constexpr auto quiet = std::chrono::milliseconds(100);

/// Subscribers of `topic` (fails the test if the broker does not answer).
size_t subscribers(caf::actor_system& sys, const caf::actor& b,
                   const std::string& topic) {
  auto n = rpc::call<size_t>(sys, b, bound, ps::count_atom::value, topic);
  REQUIRE(n);
  return *n;
}

} // namespace

TEST_CASE("pubsub: every subscriber of a topic receives what is published on it") {
  test_config cfg;
  troupe::system sys{cfg};
  auto b = ps::spawn_broker(sys.actors());
  caf::scoped_actor s1{sys.actors()};
  caf::scoped_actor s2{sys.actors()};
  caf::scoped_actor other{sys.actors()};
  caf::scoped_actor self{sys.actors()};
  for (auto* s : {&s1, &s2})
    self->send(b, ps::subscribe_atom::value, std::string{"news"}, caf::actor{*s});
  self->send(b, ps::subscribe_atom::value, std::string{"sport"}, caf::actor{other});
  REQUIRE(publish(sys.actors(), b, "news", caf::make_message(int64_t{42})) == 2u);
  for (auto* s : {&s1, &s2}) {
    auto m = next(*s);
    REQUIRE(m);
    CHECK(m->first == "news");
    CHECK(m->second.match_elements<int64_t>());
  }
  CHECK(!next(other, quiet));
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("pubsub: an unsubscribed actor receives nothing more") {
  test_config cfg;
  troupe::system sys{cfg};
  auto b = ps::spawn_broker(sys.actors());
  caf::scoped_actor s{sys.actors()};
  caf::scoped_actor self{sys.actors()};
  self->send(b, ps::subscribe_atom::value, std::string{"t"}, caf::actor{s});
  self->send(b, ps::unsubscribe_atom::value, std::string{"t"}, caf::actor{s});
  CHECK(publish(sys.actors(), b, "t", caf::make_message(1)) == 0u);
  CHECK(!next(s, quiet));
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("pubsub: messages of one publisher arrive in publishing order") {
  test_config cfg;
  troupe::system sys{cfg};
  auto b = ps::spawn_broker(sys.actors());
  caf::scoped_actor s{sys.actors()};
  caf::scoped_actor pub{sys.actors()};
  pub->send(b, ps::subscribe_atom::value, std::string{"seq"}, caf::actor{s});
  constexpr int n = 2000;
  for (int i = 0; i < n; ++i)
    pub->send(b, ps::publish_atom::value, std::string{"seq"}, caf::make_message(i));
  for (int i = 0; i < n; ++i) {
    auto m = next(s);
    REQUIRE(m);
    REQUIRE(m->second.match_elements<int>());
    REQUIRE(m->second.get_as<int>(0) == i);
  }
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("pubsub: a subscriber that terminates is removed from its topics") {
  test_config cfg;
  troupe::system sys{cfg};
  auto b = ps::spawn_broker(sys.actors());
  auto sub = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](ps::topic_atom, const std::string&, const caf::message&) {}};
  });
  caf::scoped_actor self{sys.actors()};
  self->send(b, ps::subscribe_atom::value, std::string{"a"}, sub);
  self->send(b, ps::subscribe_atom::value, std::string{"b"}, sub);
  REQUIRE(subscribers(sys.actors(), b, "a") == 1u);
  caf::anon_send_exit(sub, caf::exit_reason::kill);
  REQUIRE(await_down(sys.actors(), sub));
  // The broker learns of the death through its own monitor: wait (bounded)
  // until it has processed that down message.
  auto until = std::chrono::steady_clock::now() + bound;
  size_t left = 1;
  while (left > 0 && std::chrono::steady_clock::now() < until) {
    left = subscribers(sys.actors(), b, "a") + subscribers(sys.actors(), b, "b");
    if (left > 0)
      std::this_thread::yield();
  }
  CHECK(left == 0u);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}
