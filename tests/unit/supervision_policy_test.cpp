// The restart policy as pure rules, without actors: which children a
// strategy stops and restarts (OTP's restart/2 clauses), the intensity
// window (OTP's add_restart/1), and which exits restart which children.

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "supervision/restart_policy.hpp"
#include "troupe/errc.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using supervision::plan;
using supervision::restart_window;

namespace {

using ids = std::vector<std::string>;

/// Four children in start order: a started first, d last.
const ids abcd{"a", "b", "c", "d"};

} // namespace

// -- strategies ---------------------------------------------------------------

TEST_CASE("one_for_one stops no sibling and restarts only the failed child") {
  auto [failed, restarted] = GENERATE(table<size_t, ids>({
    {0, {"a"}},
    {2, {"c"}},
    {3, {"d"}},
  }));
  INFO("failed: " << abcd[failed]);
  auto todo = plan(one_for_one, abcd, failed);
  CHECK(todo.stop.empty());
  CHECK(todo.restart == restarted);
}

TEST_CASE("simple_one_for_one restarts only the failed child, as one_for_one "
          "does") {
  auto failed = GENERATE(size_t{0}, size_t{1}, size_t{3});
  INFO("failed: " << abcd[failed]);
  auto todo = plan(simple_one_for_one, abcd, failed);
  CHECK(todo.stop.empty());
  CHECK(todo.restart == ids{abcd[failed]});
}

TEST_CASE("one_for_all stops every other child, newest first, and restarts "
          "all of them oldest first") {
  auto [failed, stopped] = GENERATE(table<size_t, ids>({
    {0, {"d", "c", "b"}},
    {1, {"d", "c", "a"}},
    {3, {"c", "b", "a"}},
  }));
  INFO("failed: " << abcd[failed]);
  auto todo = plan(one_for_all, abcd, failed);
  CHECK(todo.stop == stopped);
  CHECK(todo.restart == abcd);
}

TEST_CASE("rest_for_one stops every child started after the failed one, "
          "newest first, and restarts the failed child and those oldest "
          "first") {
  auto [failed, stopped, restarted] = GENERATE(table<size_t, ids, ids>({
    {0, {"d", "c", "b"}, {"a", "b", "c", "d"}},
    {1, {"d", "c"}, {"b", "c", "d"}},
    {2, {"d"}, {"c", "d"}},
    {3, {}, {"d"}},
  }));
  INFO("failed: " << abcd[failed]);
  auto todo = plan(rest_for_one, abcd, failed);
  CHECK(todo.stop == stopped);
  CHECK(todo.restart == restarted);
}

TEST_CASE("an only child is restarted alone under every strategy") {
  auto strategy = GENERATE(one_for_one, one_for_all, rest_for_one,
                           simple_one_for_one);
  INFO("strategy: " << to_string(strategy));
  auto todo = plan(strategy, {"solo"}, 0);
  CHECK(todo.stop.empty());
  CHECK(todo.restart == ids{"solo"});
}

// -- intensity ----------------------------------------------------------------

TEST_CASE("exactly intensity restarts within the period are allowed and one "
          "more exceeds it") {
  auto intensity = GENERATE(1, 3, 5);
  INFO("intensity: " << intensity);
  restart_window window{intensity, 10s};
  auto t0 = restart_window::clock::now();
  for (int i = 0; i < intensity; ++i)
    CHECK(window.note_restart(t0 + i * 1ms));
  CHECK_FALSE(window.note_restart(t0 + 9s));
}

TEST_CASE("intensity zero allows no restart at all") {
  auto intensity = GENERATE(0, -1);
  INFO("intensity: " << intensity);
  restart_window window{intensity, 10s};
  CHECK_FALSE(window.note_restart(restart_window::clock::now()));
}

TEST_CASE("restarts older than the period no longer count") {
  restart_window window{2, 10s};
  auto t0 = restart_window::clock::now();
  REQUIRE(window.note_restart(t0));
  REQUIRE(window.note_restart(t0 + 1s));
  // Both earlier restarts are more than a period old by now.
  CHECK(window.note_restart(t0 + 12s));
  CHECK(window.recent() == 1);
  CHECK(window.note_restart(t0 + 13s));
  CHECK_FALSE(window.note_restart(t0 + 14s));
}

TEST_CASE("a restart exactly one period old still counts") {
  restart_window window{1, 10s};
  auto t0 = restart_window::clock::now();
  REQUIRE(window.note_restart(t0));
  SECTION("at the edge of the period it is one too many") {
    CHECK_FALSE(window.note_restart(t0 + 10s));
  }
  SECTION("a nanosecond later the first restart has left the window") {
    CHECK(window.note_restart(t0 + 10s + 1ns));
  }
}

// -- restart types ------------------------------------------------------------

TEST_CASE("which exits restart a child, for each restart type") {
  // Columns: the exit reason, whether it is normal, and whether a
  // permanent, a transient and a temporary child is restarted after it.
  auto [label, reason, normal, permanent, transient, temporary]
    = GENERATE(table<std::string, caf::error, bool, bool, bool, bool>({
      {"no reason", caf::error{}, true, true, false, false},
      {"normal", caf::exit_reason::normal, true, true, false, false},
      {"user_shutdown", caf::exit_reason::user_shutdown, true, true, false,
       false},
      {"kill", caf::exit_reason::kill, false, true, true, false},
      {"unhandled_exception", caf::exit_reason::unhandled_exception, false,
       true, true, false},
      {"runtime_error", caf::sec::runtime_error, false, true, true, false},
      {"a troupe error", make_error(errc::child_start_failed), false, true,
       true, false},
    }));
  INFO("exit reason: " << label);
  CHECK(supervision::is_normal_exit(reason) == normal);
  CHECK(supervision::should_restart(restart::permanent, reason) == permanent);
  CHECK(supervision::should_restart(restart::transient, reason) == transient);
  CHECK(supervision::should_restart(restart::temporary, reason) == temporary);
}
