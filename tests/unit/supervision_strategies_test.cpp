// Restart strategies and restart types, as OTP's supervisor defines them.

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;
using ev = supervisor_event;

namespace {

struct fixture {
  test_config cfg;
  event_log events; // outlives the system: supervisors report while it stops
  troupe::system sys{cfg};

  supervisor start(supervisor_spec spec) {
    spec.on_event = events.hook();
    auto sup = sys.start(std::move(spec));
    REQUIRE(sup);
    return *sup;
  }

  /// Crashes `id` and waits until it was started `starts` times in total.
  caf::actor crash_and_wait(supervisor& sup, const std::string& id,
                            size_t starts) {
    auto old = child_handle(sup, id);
    REQUIRE(old);
    caf::anon_send(old, crash_atom::value);
    REQUIRE(events.wait_count(ev::child_started, id, starts));
    auto fresh = child_handle(sup, id);
    REQUIRE(fresh);
    CHECK(fresh != old);
    return fresh;
  }
};

supervisor_spec three_workers(restart_strategy strategy) {
  return supervisor_spec{
    .strategy = strategy,
    .intensity = 10,
    .period = 10s,
    .children = {child("a", worker), child("b", worker), child("c", worker)},
  };
}

} // namespace

TEST_CASE_METHOD(fixture, "one_for_one restarts only the child that failed") {
  auto sup = start(three_workers(one_for_one));
  auto a = child_handle(sup, "a");
  auto c = child_handle(sup, "c");
  crash_and_wait(sup, "b", 2);
  CHECK(child_handle(sup, "a") == a);
  CHECK(child_handle(sup, "c") == c);
  CHECK(events.count(ev::child_started, "a") == 1);
  CHECK(events.count(ev::child_stopped, "") == 0);
}

TEST_CASE_METHOD(fixture,
                 "one_for_all stops the others in reverse order and restarts "
                 "all in start order") {
  auto sup = start(three_workers(one_for_all));
  auto a = child_handle(sup, "a");
  events.clear();
  crash_and_wait(sup, "b", 1);
  REQUIRE(events.wait_count(ev::child_started, "c", 1));
  CHECK(events.ids(ev::child_stopped) == std::vector<std::string>{"c", "a"});
  CHECK(events.ids(ev::child_started)
        == std::vector<std::string>{"a", "b", "c"});
  CHECK(child_handle(sup, "a") != a);
}

TEST_CASE_METHOD(fixture,
                 "rest_for_one restarts the failed child and those started "
                 "after it") {
  supervisor_spec spec = three_workers(rest_for_one);
  spec.children.push_back(child("d", worker));
  auto sup = start(std::move(spec));
  auto a = child_handle(sup, "a");
  events.clear();
  crash_and_wait(sup, "b", 1);
  REQUIRE(events.wait_count(ev::child_started, "d", 1));
  CHECK(events.ids(ev::child_stopped) == std::vector<std::string>{"d", "c"});
  CHECK(events.ids(ev::child_started)
        == std::vector<std::string>{"b", "c", "d"});
  CHECK(child_handle(sup, "a") == a);
}

TEST_CASE_METHOD(fixture,
                 "simple_one_for_one starts dynamic children from one template") {
  auto sup = start(supervisor_spec{
    .strategy = simple_one_for_one,
    .children = {child("tagged", tagged)},
  });
  auto x = sup.start_child(caf::make_message(7));
  auto y = sup.start_child(caf::make_message(8));
  REQUIRE(x);
  REQUIRE(y);
  CHECK(ask<int64_t>(sys.actors(), *x, get_atom::value) == int64_t{7});
  CHECK(ask<int64_t>(sys.actors(), *y, get_atom::value) == int64_t{8});
  auto counts = sup.count_children();
  REQUIRE(counts);
  CHECK(counts->active == 2);
  SECTION("a full child spec is refused") {
    auto z = sup.start_child(child("z", worker));
    REQUIRE_FALSE(z);
    CHECK(z.error() == errc::wrong_strategy);
  }
  SECTION("terminate_child by handle removes the dynamic child") {
    REQUIRE_FALSE(sup.terminate_child(*x));
    counts = sup.count_children();
    REQUIRE(counts);
    CHECK(counts->specs == 1);
    CHECK(ask<int64_t>(sys.actors(), *y, get_atom::value) == int64_t{8});
  }
  SECTION("arguments that do not fit the template are an error") {
    auto bad = sup.start_child(caf::make_message(std::string{"seven"}));
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::child_start_failed);
  }
}

TEST_CASE_METHOD(fixture, "a crashed simple_one_for_one child is restarted "
                          "with the same arguments") {
  auto sup = start(supervisor_spec{
    .strategy = simple_one_for_one,
    .children = {child("w", worker)},
  });
  auto x = sup.start_child(caf::message{});
  REQUIRE(x);
  caf::anon_send(*x, crash_atom::value);
  REQUIRE(events.wait_count(ev::child_started, "w#1", 2));
  CHECK(sup.count_children()->active == 1);
}

TEST_CASE_METHOD(fixture, "a permanent child is restarted even after a normal "
                          "exit") {
  auto sup = start(supervisor_spec{.children = {child("p", worker).permanent()}});
  caf::anon_send(child_handle(sup, "p"), stop_atom::value);
  REQUIRE(events.wait_count(ev::child_started, "p", 2));
}

TEST_CASE_METHOD(fixture, "a transient child is restarted only after an "
                          "abnormal exit") {
  auto sup = start(supervisor_spec{
    .children = {child("t", worker).transient(), child("probe", worker)},
  });
  crash_and_wait(sup, "t", 2);
  caf::anon_send(child_handle(sup, "t"), stop_atom::value);
  REQUIRE(events.wait_count(ev::child_exited, "t", 2));
  // A later restart of a sibling proves the supervisor had time to act.
  crash_and_wait(sup, "probe", 2);
  CHECK(events.count(ev::child_started, "t") == 2);
  auto xs = sup.which_children();
  REQUIRE(xs);
  REQUIRE(xs->size() == 2);
  CHECK(xs->front().id == "t");
  CHECK_FALSE(xs->front().handle); // spec kept, not running
}

TEST_CASE_METHOD(fixture, "a temporary child is never restarted and its spec "
                          "is dropped") {
  auto sup = start(supervisor_spec{
    .children = {child("tmp", worker).temporary(), child("probe", worker)},
  });
  caf::anon_send(child_handle(sup, "tmp"), crash_atom::value);
  REQUIRE(events.wait_count(ev::child_exited, "tmp", 1));
  crash_and_wait(sup, "probe", 2);
  CHECK(events.count(ev::child_started, "tmp") == 1);
  CHECK(sup.count_children()->specs == 1);
}

TEST_CASE_METHOD(fixture, "each way a child can fail is caught") {
  auto sup = start(three_workers(one_for_one));
  SECTION("an exception thrown by a handler") {
    caf::anon_send(child_handle(sup, "a"), crash_atom::value);
    REQUIRE(events.wait_count(ev::child_started, "a", 2));
  }
  SECTION("quitting with an error") {
    caf::anon_send(child_handle(sup, "a"), fail_atom::value);
    REQUIRE(events.wait_count(ev::child_started, "a", 2));
    auto exits = events.snapshot();
    auto it = std::find_if(exits.begin(), exits.end(), [](auto& e) {
      return e.kind == ev::child_exited;
    });
    REQUIRE(it != exits.end());
    CHECK(it->reason == caf::sec::runtime_error);
  }
  SECTION("an unhandled exit from a linked actor") {
    auto buddy = sys.spawn(worker);
    caf::anon_send(child_handle(sup, "a"), link_atom::value, buddy);
    // Wait until the link is in place: the child answers after the link.
    REQUIRE(ask<caf::actor_addr>(sys.actors(), child_handle(sup, "a"),
                                 ping_atom::value));
    caf::anon_send(buddy, fail_atom::value);
    REQUIRE(events.wait_count(ev::child_started, "a", 2));
  }
}
