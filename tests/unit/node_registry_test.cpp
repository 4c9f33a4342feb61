// Specification of a node's share of the cluster registry, its process
// groups and the remote-spawn allowlist (runtime/src/node/
// cluster_registry.hpp, process_groups.hpp, hosted_actors.hpp), in this
// process without sockets. Handles are actors of a local actor system.

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "core/rate_limiter.hpp"
#include "node/cluster_registry.hpp"
#include "node/hosted_actors.hpp"
#include "node/process_groups.hpp"
#include "troupe/errc.hpp"

using troupe::errc;
using troupe::member_event;
using troupe::detail::cluster_registry;
using troupe::detail::hosted_actors;
using troupe::detail::process_groups;
using troupe::detail::registry_mirror;
using namespace std::chrono_literals;

namespace {

caf::behavior idle(caf::event_based_actor*) {
  return {[](int32_t x) { return x; }};
}

struct registry_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::actor a = sys.spawn(idle);
  caf::actor b = sys.spawn(idle);

  ~registry_fixture() {
    caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(b, caf::exit_reason::kill);
  }
};

} // namespace

TEST_CASE_METHOD(registry_fixture,
                 "on a conflict the registration of the node "
                 "whose name sorts first wins, in any order") {
  for (bool first_early : {true, false}) {
    cluster_registry reg{"n3", nullptr};
    if (first_early) {
      reg.apply("n1", "svc", a);
      reg.apply("n2", "svc", b);
    } else {
      reg.apply("n2", "svc", b);
      reg.apply("n1", "svc", a);
    }
    CHECK(reg.whereis("svc") == a);
  }
}

TEST_CASE_METHOD(registry_fixture, "a local registration of a name that a node "
                                   "sorting first owns is name_taken") {
  cluster_registry reg{"n2", nullptr};
  reg.apply("n1", "svc", a);
  auto err = reg.register_local("svc", b);
  CHECK(err == errc::name_taken);
  CHECK(reg.whereis("svc") == a);
  // A name owned by a node sorting after this one is taken over.
  reg.apply("n3", "other", a);
  CHECK_FALSE(reg.register_local("other", b));
  CHECK(reg.whereis("other") == b);
  // ... and that node's later announcement does not win it back.
  reg.apply("n3", "other", a);
  CHECK(reg.whereis("other") == b);
}

TEST_CASE_METHOD(registry_fixture,
                 "the names of a node that goes down or "
                 "leaves are erased, and the mirror follows") {
  auto mirror = std::make_shared<registry_mirror>();
  cluster_registry reg{"n1", mirror};
  reg.apply("n2", "x", a);
  reg.apply("n3", "y", b);
  REQUIRE(mirror->find("x"));
  reg.on_member_event(member_event::member_up, "n2");
  CHECK(reg.whereis("x") == a);
  reg.on_member_event(member_event::member_down, "n2");
  CHECK(reg.whereis("x").error() == errc::unknown_name);
  CHECK_FALSE(mirror->find("x"));
  reg.on_member_event(member_event::member_left, "n3");
  CHECK(reg.whereis("y").error() == errc::unknown_name);
  CHECK_FALSE(mirror->find("y"));
}

TEST_CASE_METHOD(registry_fixture,
                 "only the owner withdraws a name, and a dead "
                 "local actor's names are returned to "
                 "announce") {
  cluster_registry reg{"n1", nullptr};
  REQUIRE_FALSE(reg.register_local("mine", a));
  reg.apply("n2", "mine", caf::actor{}); // not n2's to withdraw
  CHECK(reg.whereis("mine") == a);
  reg.apply("n0", "theirs", b);
  CHECK(reg.own().size() == 1);
  CHECK(reg.erase_local_actor(a.address()) == std::vector<std::string>{"mine"});
  CHECK(reg.whereis("mine").error() == errc::unknown_name);
  CHECK(reg.whereis("theirs") == b);
}

TEST_CASE_METHOD(registry_fixture, "group members of a node that goes down "
                                   "leave every group") {
  process_groups groups{"n1"};
  groups.join_local("g", a);
  groups.apply("n2", "g", b, true);
  CHECK(groups.members("g").size() == 2);
  groups.on_member_event(member_event::member_down, "n2");
  CHECK(groups.members("g") == std::vector<caf::actor>{a});
  CHECK(groups.erase_local_actor(a.address()) == std::vector<std::string>{"g"});
  CHECK(groups.members("g").empty());
}

TEST_CASE("remote spawn admits exported types only: a known type that is not "
          "exported is not_allowed, an unknown one unknown_actor_type") {
  hosted_actors hosted{"n1", {"echo"}};
  CHECK_FALSE(hosted.admit("echo", true));
  CHECK(hosted.admit("secret", true) == errc::not_allowed);
  CHECK(hosted.admit("nothing", false) == errc::unknown_actor_type);
}

TEST_CASE("a type registered with add_actor_type but not exported is "
          "not_allowed through spawn") {
  caf::actor_system_config cfg;
  cfg.add_actor_type("secret", idle);
  cfg.add_actor_type("echo", idle);
  caf::actor_system sys{cfg};
  hosted_actors hosted{"n1", {"echo"}};
  auto res = hosted.spawn(sys, "secret", caf::message{}, "n2");
  REQUIRE_FALSE(res);
  CHECK(res.error() == errc::not_allowed);
  auto ok = hosted.spawn(sys, "echo", caf::message{}, "n2");
  REQUIRE(ok);
  CHECK(hosted.actors().size() == 1);
  caf::anon_send_exit(*ok, caf::exit_reason::kill);
}

TEST_CASE("remote spawn holds each member to its quota of live actors, "
          "and tracks which member asked for each actor") {
  caf::actor_system_config cfg;
  cfg.add_actor_type("echo", idle);
  caf::actor_system sys{cfg};
  hosted_actors hosted{"n1", {"echo"}, {.max_per_member = 3, .per_second = 1e9}};
  std::vector<caf::actor> mine;
  for (int i = 0; i < 3; ++i) {
    auto a = hosted.spawn(sys, "echo", caf::message{}, "mallory");
    REQUIRE(a);
    mine.push_back(*a);
  }
  auto over = hosted.spawn(sys, "echo", caf::message{}, "mallory");
  REQUIRE_FALSE(over);
  CHECK(over.error() == errc::not_allowed);
  // Another member has its own quota.
  auto other = hosted.spawn(sys, "echo", caf::message{}, "n2");
  REQUIRE(other);
  CHECK(hosted.actors_of("mallory") == mine);
  CHECK(hosted.actors_of("n2") == std::vector<caf::actor>{*other});
  // An actor that ended frees its place in the quota.
  caf::anon_send_exit(mine.back(), caf::exit_reason::kill);
  hosted.erase(mine.back().address());
  auto again = hosted.spawn(sys, "echo", caf::message{}, "mallory");
  REQUIRE(again);
  for (auto& a : hosted.actors())
    caf::anon_send_exit(a, caf::exit_reason::kill);
}

TEST_CASE("a rate limiter lets a burst through, then one event per refill, "
          "and counts what it refused") {
  using clock = troupe::detail::rate_limiter::clock;
  troupe::detail::rate_limiter r{2, 3}; // 2 a second, bursts of 3
  auto t0 = clock::now();
  CHECK(r.allow(t0));
  CHECK(r.allow(t0));
  CHECK(r.allow(t0));
  CHECK_FALSE(r.allow(t0));
  CHECK_FALSE(r.allow(t0 + 100ms));
  CHECK(r.allow(t0 + 600ms)); // 1.2 tokens refilled
  CHECK_FALSE(r.allow(t0 + 600ms));
  CHECK(r.take_suppressed() == 3);
  CHECK(r.take_suppressed() == 0);
  // The bucket never holds more than its burst.
  CHECK(r.allow(t0 + 1h));
  CHECK(r.allow(t0 + 1h));
  CHECK(r.allow(t0 + 1h));
  CHECK_FALSE(r.allow(t0 + 1h));
}
