// Stable names: a name survives restarts, holds messages while its child
// restarts, and says clearly when it cannot deliver.

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;
using ev = supervisor_event;

namespace {

/// Wraps a child's factory so that every start after the first parks the
/// supervisor until the test opens the gate: the window in which the child
/// is down and its name must buffer.
struct restart_window {
  gate restarting;     // opened by the supervisor when a restart begins
  gate release;        // opened by the test to let the restart finish
  std::atomic<int> starts{0};

  child_spec wrap(child_spec spec) {
    auto inner = std::get<caf::actor_factory>(spec.start);
    spec.start = caf::actor_factory{[this, inner](caf::actor_config& cfg, caf::message& args) {
      if (++starts > 1) {
        restarting.open();
        release.wait_open();
      }
      return inner(cfg, args);
    }};
    return spec;
  }
};

struct recorder_state {
  std::vector<int64_t> seen;
};

/// Remembers the numbers it is sent, in the order they arrive.
caf::behavior recorder(caf::stateful_actor<recorder_state>* self) {
  return {
    [=](add_atom, int64_t x) { self->state.seen.push_back(x); },
    [=](get_atom) { return self->state.seen; },
    [=](crash_atom) { throw std::runtime_error("recorder crashed"); },
  };
}

struct fixture {
  test_config cfg;
  event_log events; // outlives the system: supervisors report while it stops
  troupe::system sys{cfg};
};

} // namespace

TEST_CASE_METHOD(fixture, "a stable name reaches the current incarnation "
                          "across restarts") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("counter", worker).named("counter")},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  auto name = sys.whereis("counter");
  REQUIRE(name);
  auto first = ask<caf::actor_addr>(sys.actors(), *name, ping_atom::value);
  REQUIRE(first);
  caf::anon_send(*name, crash_atom::value);
  REQUIRE(events.wait_count(ev::child_started, "counter", 2));
  auto second = ask<caf::actor_addr>(sys.actors(), *name, ping_atom::value);
  REQUIRE(second);
  CHECK(*first != *second);
  CHECK(*second == child_handle(*sup, "counter").address());
  // The name itself did not change.
  CHECK(*sys.whereis("counter") == *name);
}

TEST_CASE_METHOD(fixture, "messages sent to a name while its child restarts "
                          "are all delivered to the new incarnation") {
  restart_window window;
  auto sup = sys.start(supervisor_spec{
    .children = {window.wrap(child("counter", worker).named("counter"))},
  });
  REQUIRE(sup);
  auto name = *sys.whereis("counter");
  caf::scoped_actor self{sys.actors()};
  self->send(name, crash_atom::value);
  REQUIRE(window.restarting.wait_open());
  // The old incarnation is gone and the new one not yet spawned.
  constexpr int64_t n = 1000;
  for (int64_t i = 0; i < n; ++i)
    self->send(name, add_atom::value, int64_t{1});
  window.release.open();
  CHECK(ask<int64_t>(sys.actors(), name, get_atom::value) == n);
}

TEST_CASE_METHOD(fixture, "messages held by a name while its child restarts "
                          "reach the new incarnation in the order they were "
                          "sent") {
  restart_window window;
  auto sup = sys.start(supervisor_spec{
    .children = {window.wrap(child("rec", recorder).named("rec"))},
  });
  REQUIRE(sup);
  auto name = *sys.whereis("rec");
  caf::scoped_actor self{sys.actors()};
  self->send(name, crash_atom::value);
  REQUIRE(window.restarting.wait_open());
  // Distinct numbers, so that any reordering of the buffer shows.
  constexpr int64_t held = 100;
  for (int64_t i = 0; i < held; ++i)
    self->send(name, add_atom::value, i);
  window.release.open();
  // Sent while the name may still be buffering or already bound: either way
  // they come after the held ones.
  constexpr int64_t total = held + 20;
  for (int64_t i = held; i < total; ++i)
    self->send(name, add_atom::value, i);
  std::vector<int64_t> expected(total);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  CHECK(ask<std::vector<int64_t>>(sys.actors(), name, get_atom::value)
        == expected);
}

TEST_CASE_METHOD(fixture, "a name whose buffer is full answers requests with "
                          "name_buffer_full") {
  restart_window window;
  auto sup = sys.start(supervisor_spec{
    .children = {window.wrap(child("counter", worker).named("counter"))},
    .on_event = events.hook(),
    .name_buffer = 4,
  });
  REQUIRE(sup);
  auto name = *sys.whereis("counter");
  caf::scoped_actor self{sys.actors()};
  self->send(name, crash_atom::value);
  REQUIRE(window.restarting.wait_open());
  for (int i = 0; i < 4; ++i)
    self->send(name, add_atom::value, int64_t{1});
  auto overflow = ask<int64_t>(sys.actors(), name, get_atom::value);
  REQUIRE_FALSE(overflow);
  CHECK(overflow.error() == errc::name_buffer_full);
  window.release.open();
  REQUIRE(events.wait_count(ev::child_started, "counter", 2));
  CHECK(ask<int64_t>(sys.actors(), name, get_atom::value) == int64_t{4});
}

TEST_CASE_METHOD(fixture, "a name of a stopped child reports name_not_running "
                          "until the child is restarted") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("counter", worker).named("counter")},
  });
  REQUIRE(sup);
  auto name = *sys.whereis("counter");
  REQUIRE_FALSE(sup->terminate_child("counter"));
  auto r = ask<int64_t>(sys.actors(), name, get_atom::value);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::name_not_running);
  REQUIRE(sup->restart_child("counter"));
  CHECK(ask<int64_t>(sys.actors(), name, get_atom::value) == int64_t{0});
}

TEST_CASE_METHOD(fixture, "an unknown name is an error value") {
  auto r = sys.whereis("nobody");
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::unknown_name);
}

TEST_CASE_METHOD(fixture, "two live supervisors cannot claim the same name") {
  auto first = sys.start(supervisor_spec{
    .children = {child("c", worker).named("shared")},
  });
  REQUIRE(first);
  auto second = sys.start(supervisor_spec{
    .children = {child("c", worker).named("shared")},
  });
  REQUIRE_FALSE(second);
  CHECK(second.error() == errc::name_taken);
}

TEST_CASE_METHOD(fixture, "a name survives the restart of the subtree that "
                          "owns it") {
  auto inner = supervisor_spec{
    .intensity = 0,
    .children = {child("counter", worker).named("deep")},
    .on_event = events.hook(),
  };
  auto sup = sys.start(supervisor_spec{
    .children = {child("inner", std::move(inner))},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  auto name = *sys.whereis("deep");
  caf::anon_send(name, add_atom::value, int64_t{5});
  caf::anon_send(name, crash_atom::value);
  REQUIRE(events.wait_count(ev::child_started, "inner", 2));
  REQUIRE(events.wait_count(ev::child_started, "counter", 2));
  CHECK(*sys.whereis("deep") == name);
  // The new incarnation starts from zero: state dies with its actor.
  CHECK(ask<int64_t>(sys.actors(), name, get_atom::value) == int64_t{0});
}

TEST_CASE_METHOD(fixture, "cluster_wide or in_group without a stable name "
                          "fails the child's start and says to name it") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("bank", worker).cluster_wide()},
    .on_event = events.hook(),
  });
  REQUIRE_FALSE(sup);
  CHECK(render(sup.error()).find(".named(") != std::string::npos);
  auto grouped = sys.start(supervisor_spec{
    .children = {child("bank", worker).in_group("banks")},
  });
  REQUIRE_FALSE(grouped);
  CHECK(grouped.error() == errc::child_start_failed);
}

TEST_CASE_METHOD(fixture, "a cluster_wide name without a node in the process "
                          "is a local stable name") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("bank", worker).named("bank.local").cluster_wide()},
  });
  REQUIRE(sup);
  auto name = sys.whereis("bank.local");
  REQUIRE(name);
  auto total = ask<int64_t>(sys.actors(), *name, get_atom::value);
  REQUIRE(total);
  CHECK(*total == 0);
}
