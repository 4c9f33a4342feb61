// Restart intensity, escalation, ordered shutdown and the dynamic child API.

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
};

} // namespace

TEST_CASE_METHOD(fixture, "a crash loop beyond the restart intensity makes the "
                          "supervisor fail") {
  auto sup = sys.start(supervisor_spec{
    .intensity = 3,
    .period = 60s,
    .children = {child("loop", worker)},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  for (size_t i = 1; i <= 3; ++i) {
    caf::anon_send(child_handle(*sup, "loop"), crash_atom::value);
    REQUIRE(events.wait_count(ev::child_started, "loop", i + 1));
  }
  // The fourth crash within the period is one too many.
  caf::anon_send(child_handle(*sup, "loop"), crash_atom::value);
  auto reason = await_down(sys.actors(), sup->handle());
  REQUIRE(reason);
  CHECK(*reason == errc::restart_intensity_exceeded);
  CHECK(events.count(ev::escalating, "loop") == 1);
  CHECK(events.count(ev::child_started, "loop") == 4);
}

TEST_CASE_METHOD(fixture, "restarts older than the period do not count") {
  auto sup = sys.start(supervisor_spec{
    .intensity = 1,
    .period = 1ns, // every restart is already outside the window
    .children = {child("w", worker)},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  for (size_t i = 1; i <= 5; ++i) {
    caf::anon_send(child_handle(*sup, "w"), crash_atom::value);
    REQUIRE(events.wait_count(ev::child_started, "w", i + 1));
  }
  CHECK(events.count(ev::escalating, "") == 0);
}

TEST_CASE_METHOD(fixture, "escalation climbs through three levels of "
                          "supervisors") {
  auto leaf = supervisor_spec{.intensity = 0,
                              .children = {child("worker", worker)},
                              .on_event = events.hook()};
  auto mid = supervisor_spec{.intensity = 0,
                             .children = {child("leaf", std::move(leaf))},
                             .on_event = events.hook()};
  auto root = supervisor_spec{.intensity = 0,
                              .children = {child("mid", std::move(mid))},
                              .on_event = events.hook()};
  auto sup = sys.start(std::move(root));
  REQUIRE(sup);
  REQUIRE(events.wait_count(ev::child_started, "worker", 1));
  auto snapshot = events.snapshot();
  auto worker_it = std::find_if(snapshot.begin(), snapshot.end(), [](auto& e) {
    return e.child_id == "worker";
  });
  REQUIRE(worker_it != snapshot.end());
  caf::anon_send(worker_it->child, crash_atom::value);
  auto reason = await_down(sys.actors(), sup->handle());
  REQUIRE(reason);
  CHECK(*reason == errc::restart_intensity_exceeded);
  // Each level gave up in turn: the leaf for its worker, the middle for the
  // leaf, the root for the middle.
  CHECK(events.ids(ev::escalating)
        == std::vector<std::string>{"worker", "leaf", "mid"});
}

TEST_CASE_METHOD(fixture, "a parent restarts a failed nested supervisor and "
                          "with it the whole subtree") {
  auto leaf = supervisor_spec{.intensity = 0,
                              .children = {child("worker", worker)},
                              .on_event = events.hook()};
  auto sup = sys.start(supervisor_spec{
    .intensity = 5,
    .children = {child("leaf", std::move(leaf)), child("sibling", worker)},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  auto sibling = child_handle(*sup, "sibling");
  REQUIRE(events.wait_count(ev::child_started, "worker", 1));
  auto first = events.snapshot();
  auto w = std::find_if(first.begin(), first.end(),
                        [](auto& e) { return e.child_id == "worker"; });
  caf::anon_send(w->child, crash_atom::value);
  REQUIRE(events.wait_count(ev::child_started, "leaf", 2));
  REQUIRE(events.wait_count(ev::child_started, "worker", 2));
  CHECK(child_handle(*sup, "sibling") == sibling);
}

TEST_CASE_METHOD(fixture, "shutdown stops children in reverse start order") {
  auto leaf = supervisor_spec{
    .children = {child("x", worker), child("y", worker)},
    .on_event = events.hook(),
  };
  auto sup = sys.start(supervisor_spec{
    .children = {child("a", worker), child("nested", std::move(leaf)),
                 child("b", worker)},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  REQUIRE_FALSE(sup->shutdown());
  // Children of the nested supervisor stop before the nested supervisor
  // itself is reported stopped.
  CHECK(events.ids(ev::child_stopped)
        == std::vector<std::string>{"b", "y", "x", "nested", "a"});
}

TEST_CASE_METHOD(fixture, "a child that ignores shutdown is killed after its "
                          "shutdown timeout") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("polite", worker), child("stubborn", stubborn).shutdown(50ms)},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  REQUIRE_FALSE(sup->shutdown());
  auto xs = events.snapshot();
  auto it = std::find_if(xs.begin(), xs.end(), [](auto& e) {
    return e.kind == ev::child_stopped && e.child_id == "stubborn";
  });
  REQUIRE(it != xs.end());
  CHECK(it->reason == caf::exit_reason::kill);
  CHECK(events.ids(ev::child_stopped)
        == std::vector<std::string>{"stubborn", "polite"});
}

TEST_CASE_METHOD(fixture, "a request that arrives while a child is being "
                          "stopped waits until it is stopped") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("a", worker),
                 child("slow", stubborn).shutdown(caf::timespan::max())},
  });
  REQUIRE(sup);
  auto slow = child_handle(*sup, "slow");
  REQUIRE(slow);
  // One sender, so the supervisor sees the requests in this order. "slow"
  // ignores user_shutdown and has no timeout: its stop lasts until the test
  // kills it.
  caf::scoped_actor self{sys.actors()};
  auto stop = self->request(sup->handle(), bound, terminate_child_atom::value,
                            std::string{"slow"});
  auto count = self->request(sup->handle(), bound, count_children_atom::value);
  auto restart = self->request(sup->handle(), bound, restart_child_atom::value,
                               std::string{"slow"});
  // Queries are answered during the stop: "slow" is still running.
  size_t active = 0;
  count.receive([&](child_counts& c) { active = c.active; },
                [&](caf::error& err) { FAIL(render(err)); });
  CHECK(active == 2);
  self->send_exit(slow, caf::exit_reason::kill);
  bool stopped = false;
  stop.receive([&] { stopped = true; },
               [&](caf::error& err) { FAIL(render(err)); });
  CHECK(stopped);
  // Handled after the stop: had it run at once, "slow" would still have
  // been running and the restart refused.
  caf::actor restarted;
  restart.receive([&](caf::actor& x) { restarted = x; },
                  [&](caf::error& err) { FAIL(render(err)); });
  REQUIRE(restarted);
  CHECK(restarted != slow);
}

TEST_CASE_METHOD(fixture, "requests that reach a supervisor while it shuts "
                          "down fail with no_such_child") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("slow", stubborn).shutdown(caf::timespan::max())},
  });
  REQUIRE(sup);
  auto slow = child_handle(*sup, "slow");
  REQUIRE(slow);
  caf::scoped_actor self{sys.actors()};
  self->send_exit(sup->handle(), caf::exit_reason::user_shutdown);
  auto late = self->request(sup->handle(), bound, start_child_atom::value,
                            child("late", worker));
  self->send_exit(slow, caf::exit_reason::kill);
  caf::error err;
  late.receive([&](caf::actor&) { FAIL("a child started during shutdown"); },
               [&](caf::error& x) { err = std::move(x); });
  CHECK(err == errc::no_such_child);
  CHECK(await_down(sys.actors(), sup->handle()));
}

TEST_CASE_METHOD(fixture, "brutal_kill stops a child without asking") {
  auto sup = sys.start(supervisor_spec{
    .children = {child("victim", worker).brutal_kill()},
    .on_event = events.hook(),
  });
  REQUIRE(sup);
  REQUIRE_FALSE(sup->terminate_child("victim"));
  auto xs = events.snapshot();
  REQUIRE(xs.back().kind == ev::child_stopped);
  CHECK(xs.back().reason == caf::exit_reason::kill);
}

TEST_CASE_METHOD(fixture, "children can be added, stopped, restarted, deleted "
                          "and listed at run time") {
  auto sup = sys.start(supervisor_spec{.children = {child("a", worker)}});
  REQUIRE(sup);
  auto b = sup->start_child(child("b", worker).transient());
  REQUIRE(b);
  SECTION("ids are unique") {
    auto again = sup->start_child(child("b", worker));
    REQUIRE_FALSE(again);
    CHECK(again.error() == errc::child_already_exists);
  }
  SECTION("which_children lists every spec in start order") {
    auto xs = sup->which_children();
    REQUIRE(xs);
    REQUIRE(xs->size() == 2);
    CHECK((*xs)[0].id == "a");
    CHECK((*xs)[1].id == "b");
    CHECK((*xs)[1].handle == *b);
    CHECK((*xs)[1].restart_type == restart::transient);
  }
  SECTION("terminate, restart and delete a child") {
    REQUIRE_FALSE(sup->terminate_child("b"));
    auto counts = sup->count_children();
    REQUIRE(counts);
    CHECK(counts->specs == 2);
    CHECK(counts->active == 1);
    CHECK(counts->workers == 2);
    SECTION("a running child cannot be deleted") {
      REQUIRE(sup->restart_child("b"));
      auto err = sup->delete_child("b");
      CHECK(err == errc::child_already_exists);
    }
    SECTION("a stopped child can be deleted") {
      REQUIRE_FALSE(sup->delete_child("b"));
      CHECK(sup->count_children()->specs == 1);
    }
  }
  SECTION("unknown ids are reported") {
    CHECK(sup->terminate_child("nope") == errc::no_such_child);
    CHECK(sup->delete_child("nope") == errc::no_such_child);
    auto r = sup->restart_child("nope");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::no_such_child);
  }
}

TEST_CASE_METHOD(fixture, "a supervisor whose child cannot start fails to "
                          "start with the reason") {
  SECTION("wrong arguments for the behavior") {
    auto sup = sys.start(supervisor_spec{
      .children = {child("ok", worker), child("bad", tagged, std::string{"x"})},
      .on_event = events.hook(),
    });
    REQUIRE_FALSE(sup);
    CHECK(sup.error() == errc::child_start_failed);
    CHECK(render(sup.error()).find("\"bad\"") != std::string::npos);
    // The child that did start was stopped again.
    CHECK(events.ids(ev::child_stopped) == std::vector<std::string>{"ok"});
  }
  SECTION("an unknown actor type name") {
    auto sup = sys.start(supervisor_spec{
      .children = {child("ghost", std::string{"no_such_type"})},
    });
    REQUIRE_FALSE(sup);
    CHECK(sup.error() == errc::child_start_failed);
    CHECK(render(sup.error()).find("no_such_type") != std::string::npos);
  }
  SECTION("duplicate ids") {
    auto sup = sys.start(supervisor_spec{
      .children = {child("twin", worker), child("twin", worker)},
    });
    REQUIRE_FALSE(sup);
    CHECK(sup.error() == errc::child_already_exists);
  }
}

TEST_CASE("a child can be created from a registered actor type name") {
  test_config cfg;
  cfg.add_actor_type("tagged", tagged);
  troupe::system sys{cfg};
  auto sup = sys.start(supervisor_spec{
    .children = {child("t", std::string{"tagged"}, caf::make_message(5))},
  });
  REQUIRE(sup);
  CHECK(ask<int64_t>(sys.actors(), child_handle(*sup, "t"), get_atom::value)
        == int64_t{5});
}
