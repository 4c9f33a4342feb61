#pragma once
// Helpers of the work-queue tests: requests with the tests' bound, and a
// guard that stops a queue on every exit path of a test.

#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include <troupe/rpc.hpp>
#include <work_queue/work_queue.hpp>

#include "test_support.hpp"

namespace troupe::test {

using pulled = std::tuple<uint64_t, std::string, uint32_t>;

inline caf::expected<pulled> pull(caf::scoped_actor& self, const caf::actor& q,
                           caf::timespan deadline = bound) {
  caf::expected<pulled> result{caf::error{}};
  self->request(q, deadline, wq::pull_atom::value)
    .receive([&](uint64_t id, std::string& p,
                 uint32_t f) { result = pulled{id, std::move(p), f}; },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// The id of the next job pulled (fails the test if the pull fails).
inline uint64_t pull_id(caf::scoped_actor& self, const caf::actor& q) {
  auto j = pull(self, q);
  REQUIRE(j);
  return std::get<0>(*j);
}

inline caf::expected<uint64_t> enqueue(caf::actor_system& sys, const caf::actor& q,
                                uint64_t id, std::string payload,
                                caf::timespan deadline = bound) {
  return rpc::call<uint64_t>(sys, q, deadline, wq::enqueue_atom::value, id,
                             std::move(payload));
}

inline std::tuple<size_t, size_t, size_t, size_t> stats(caf::actor_system& sys,
                                                 const caf::actor& q) {
  caf::scoped_actor self{sys};
  std::tuple<size_t, size_t, size_t, size_t> result{};
  self->request(q, bound, wq::stats_atom::value)
    .receive([&](size_t r, size_t l, size_t d,
                 size_t n) { result = {r, l, d, n}; },
             [&](caf::error&) { FAIL("stats failed"); });
  return result;
}

inline void stop(caf::actor_system& sys, const caf::actor& q) {
  caf::anon_send_exit(q, caf::exit_reason::user_shutdown);
  REQUIRE(await_down(sys, q));
}

/// Stops a queue when the test leaves its scope, on every path. A failed
/// REQUIRE throws past the test's own stop(); a queue left running then
/// keeps troupe::system's destructor waiting while it has a timer pending
/// (a lease: 30 s by default; a failed REQUIRE after a pull took 30 s to
/// report), up to CTest's 120 s timeout, instead of failing at once.
/// Declare it after the system, so that it runs first.
class queue_guard {
public:
  queue_guard(caf::actor_system& sys, caf::actor q)
    : sys_(sys), q_(std::move(q)) {
  }
  queue_guard(const queue_guard&) = delete;
  queue_guard& operator=(const queue_guard&) = delete;
  ~queue_guard() {
    // No-op (and no wait) after the test's own stop().
    caf::anon_send_exit(q_, caf::exit_reason::kill);
    await_down(sys_, q_);
  }

private:
  caf::actor_system& sys_;
  caf::actor q_;
};

} // namespace troupe::test
