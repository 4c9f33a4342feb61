// Specification of bounded mailboxes (troupe/bounded_mailbox.hpp): what a
// full mailbox does under each policy, that nothing is dropped without a
// count, and that a full actor can still be stopped.
//
// Each test parks the actor in a handler (a gate the test opens), so that
// its mailbox fills deterministically, with no timing involved.

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include <troupe/bounded_mailbox.hpp>
#include <troupe/metrics.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

using block_atom = caf::atom_constant<caf::atom("bm_block")>;

/// What the actor saw, shared with the test.
struct recorder {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<int> seen;
  std::promise<void> entered; ///< set when the actor parks in block
  std::shared_future<void> gate;

  /// Waits (bounded) until the actor saw `n` ints.
  bool wait_seen(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, bound, [&] { return seen.size() >= n; });
  }
  std::vector<int> snapshot() {
    std::lock_guard<std::mutex> guard{mtx};
    return seen;
  }
};

caf::behavior recording(caf::event_based_actor*, std::shared_ptr<recorder> r) {
  return {
    [r](block_atom) {
      r->entered.set_value();
      r->gate.wait_for(bound);
    },
    [r](int x) {
      std::lock_guard<std::mutex> guard{r->mtx};
      r->seen.push_back(x);
      r->cv.notify_all();
      return x;
    },
  };
}

/// An actor with a mailbox of `capacity` under `policy`, parked in its
/// block handler until `open` is set.
struct parked {
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  std::promise<void> open;
  caf::actor actor;

  parked(caf::actor_system& sys, size_t capacity, overflow_policy policy,
         const std::string& name) {
    rec->gate = open.get_future().share();
    actor = spawn_bounded(sys, {.capacity = capacity, .policy = policy,
                                .name = name},
                          recording, rec);
    caf::anon_send(actor, block_atom::value);
    REQUIRE(rec->entered.get_future().wait_for(bound)
            == std::future_status::ready);
  }
  ~parked() {
    release();
    caf::anon_send_exit(actor, caf::exit_reason::kill);
  }
  void release() {
    if (!released) {
      released = true;
      open.set_value();
    }
  }
  bool released = false;
};

std::vector<int> range(int from, int to) { // [from, to]
  std::vector<int> xs(static_cast<size_t>(to - from + 1));
  std::iota(xs.begin(), xs.end(), from);
  return xs;
}

bool is_mailbox_full(const caf::error& err) {
  return err.category() == errc_category
         && err.code() == static_cast<uint8_t>(errc::mailbox_full);
}

/// troupe_mailbox_backlog{actor=name} as a scrape sees it (-1: absent).
double backlog_metric(const std::string& name) {
  for (auto& x : metrics::snapshot())
    if (x.name == "troupe_mailbox_backlog" && x.ls.size() == 1
        && x.ls[0].second == name)
      return x.value;
  return -1;
}

uint64_t overflows(const std::string& name, const char* policy) {
  return metrics::get_counter("troupe_mailbox_overflow_total", "",
                              {{"actor", name}, {"policy", policy}})
    .value();
}

} // namespace

TEST_CASE("a full bounded mailbox under reject answers a request at once "
          "with mailbox_full and drops asynchronous messages, counted") {
  test_config cfg;
  troupe::system sys{cfg};
  parked p{sys.actors(), 8, overflow_policy::reject, "t-reject"};
  for (int i = 1; i <= 11; ++i) // 8 fit, 3 do not
    caf::anon_send(p.actor, i);
  caf::scoped_actor self{sys.actors()};
  // Answered while the actor is still parked: the refusal does not wait.
  caf::error refused;
  self->request(p.actor, bound, 99)
    .receive([](int) { FAIL("a full mailbox took a request"); },
             [&](caf::error& err) { refused = err; });
  CHECK(is_mailbox_full(refused));
  CHECK(overflows("t-reject", "reject") == 4u);
  CHECK(backlog_metric("t-reject") == 8.0);
  p.release();
  REQUIRE(p.rec->wait_seen(8));
  // Room again: a request is taken and answered after the 8 kept, in order;
  // nothing of what was refused comes after.
  int answer = 0;
  self->request(p.actor, bound, 100)
    .receive([&](int x) { answer = x; },
             [](caf::error& err) { FAIL(to_string(err)); });
  CHECK(answer == 100);
  auto expected = range(1, 8);
  expected.push_back(100);
  CHECK(p.rec->snapshot() == expected);
}

TEST_CASE("a full bounded mailbox under drop_newest drops a request without "
          "an answer, and counts it") {
  test_config cfg;
  troupe::system sys{cfg};
  parked p{sys.actors(), 4, overflow_policy::drop_newest, "t-newest"};
  for (int i = 1; i <= 4; ++i)
    caf::anon_send(p.actor, i);
  caf::scoped_actor self{sys.actors()};
  caf::error err;
  // The sender's own deadline ends the wait (the actor is parked, so no
  // answer can come from it either way).
  self->request(p.actor, std::chrono::milliseconds(200), 5)
    .receive([](int) { FAIL("a full mailbox took a request"); },
             [&](caf::error& e) { err = e; });
  CHECK(err == caf::sec::request_timeout);
  CHECK(overflows("t-newest", "drop_newest") == 1u);
  p.release();
  REQUIRE(p.rec->wait_seen(4));
  int answer = 0;
  self->request(p.actor, bound, 6).receive([&](int x) { answer = x; },
                                           [](caf::error&) {});
  CHECK(answer == 6);
  CHECK(p.rec->snapshot() == std::vector<int>{1, 2, 3, 4, 6});
}

TEST_CASE("a full bounded mailbox under drop_oldest keeps the newest "
          "messages and answers a dropped request with mailbox_full") {
  test_config cfg;
  troupe::system sys{cfg};
  parked p{sys.actors(), 8, overflow_policy::drop_oldest, "t-oldest"};
  caf::scoped_actor self{sys.actors()};
  // The oldest waiting message is a request: dropped, its sender is told.
  auto oldest = self->request(p.actor, bound, 1);
  for (int i = 2; i <= 11; ++i)
    caf::anon_send(p.actor, i);
  p.release();
  caf::error err;
  std::move(oldest).receive([](int) { FAIL("the oldest was not dropped"); },
                            [&](caf::error& e) { err = e; });
  CHECK(is_mailbox_full(err));
  REQUIRE(p.rec->wait_seen(8));
  int answer = 0;
  self->request(p.actor, bound, 12).receive([&](int x) { answer = x; },
                                            [](caf::error&) {});
  CHECK(answer == 12);
  auto expected = range(4, 12);
  CHECK(p.rec->snapshot() == expected);
  CHECK(overflows("t-oldest", "drop_oldest") == 3u);
}

TEST_CASE("a full bounded mailbox still takes an exit") {
  test_config cfg;
  troupe::system sys{cfg};
  parked p{sys.actors(), 2, overflow_policy::reject, "t-exit"};
  for (int i = 1; i <= 5; ++i)
    caf::anon_send(p.actor, i);
  // The exit gets in though the mailbox is full: the actor ends when it
  // gets to it, not never.
  caf::anon_send_exit(p.actor, caf::exit_reason::user_shutdown);
  p.release();
  CHECK(await_down(sys.actors(), p.actor));
}
