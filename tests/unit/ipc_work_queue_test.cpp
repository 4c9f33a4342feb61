// Specification of the durable work queue (actors/work_queue).

#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <troupe/rpc.hpp>
#include <work_queue/job_log.hpp>
#include <work_queue/work_queue.hpp>

#include "test_support.hpp"
#include "work_queue_fixture.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace troupe::wq;
namespace fs = std::filesystem;

namespace {

/// The queue's lease timer message (work_queue.cpp, `wq_lease`): job id and
/// lease sequence number. Sent by hand so that a test can play a timer that
/// fires late without waiting for real time.
using lease_timer_atom = caf::atom_constant<caf::atom("wq_lease")>;

/// How many records a fresh job_log finds in a copy of the log at `path`:
/// what a queue restarted after a crash of this process would replay.
size_t records_in_copy(const std::string& path) {
  auto copy = path + ".copy";
  fs::copy_file(path, copy, fs::copy_options::overwrite_existing);
  job_log log;
  std::string err;
  auto n = log.open(copy, 0, err).size();
  REQUIRE(err.empty());
  return n;
}

} // namespace

TEST_CASE("work queue: a job is enqueued, pulled by a worker and acked") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = dir.file("q.log")});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 1, "hello") == 1u);
  REQUIRE(enqueue(sys.actors(), q, 2, "world") == 2u);
  caf::scoped_actor self{sys.actors()};
  auto j = pull(self, q);
  REQUIRE(j);
  CHECK(*j == pulled{1, "hello", 0});
  CHECK(rpc::call<void>(sys, q, bound, ack_atom::value, uint64_t{1}));
  CHECK(stats(sys.actors(), q) == std::tuple<size_t, size_t, size_t, size_t>{1, 0, 0, 3});
  stop(sys.actors(), q);
}

TEST_CASE("work queue: a job whose lease expires is redelivered") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(),
                       {.log_path = dir.file("q.log"), .lease = 50ms});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 7, "slow"));
  caf::scoped_actor self{sys.actors()};
  REQUIRE(pull(self, q) == pulled{7, "slow", 0});
  // No ack: the next pull waits (bounded) until the lease expires.
  auto again = pull(self, q);
  REQUIRE(again);
  CHECK(*again == pulled{7, "slow", 1});
  stop(sys.actors(), q);
}

TEST_CASE("work queue: the jobs of a worker that crashes are redelivered") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = dir.file("q.log")});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 3, "poison"));
  auto worker = sys.spawn([q](caf::event_based_actor* w) {
    w->request(q, bound, pull_atom::value)
      .then([w](uint64_t, std::string&, uint32_t) {
        w->quit(caf::sec::runtime_error); // crash while holding the lease
      });
  });
  REQUIRE(await_down(sys.actors(), worker));
  caf::scoped_actor self{sys.actors()};
  auto j = pull(self, q); // lease is 30 s: only the crash can free the job
  REQUIRE(j);
  CHECK(*j == pulled{3, "poison", 1});
  stop(sys.actors(), q);
}

TEST_CASE("work queue: a job that fails max_failures times goes to the dead-letter queue") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(),
                       {.log_path = dir.file("q.log"), .max_failures = 2});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 9, "bad"));
  REQUIRE(enqueue(sys.actors(), q, 10, "good"));
  caf::scoped_actor self{sys.actors()};
  REQUIRE(pull(self, q) == pulled{9, "bad", 0});
  REQUIRE(rpc::call<void>(sys, q, bound, nack_atom::value, uint64_t{9}));
  REQUIRE(pull(self, q) == pulled{10, "good", 0});
  REQUIRE(pull(self, q) == pulled{9, "bad", 1});
  REQUIRE(rpc::call<void>(sys, q, bound, nack_atom::value, uint64_t{9}));
  auto dead = rpc::call<std::vector<uint64_t>>(sys, q, bound, dead_atom::value);
  REQUIRE(dead);
  CHECK(*dead == std::vector<uint64_t>{9});
  CHECK(std::get<2>(stats(sys.actors(), q)) == 1u);
  stop(sys.actors(), q);
}

TEST_CASE("work queue: a new queue on the same log replays unacked jobs, failures and dead letters") {
  temp_dir dir;
  auto path = dir.file("q.log");
  {
    test_config cfg;
    troupe::system sys{cfg};
    auto q = spawn_queue(sys.actors(), {.log_path = path, .max_failures = 1});
    queue_guard guard{sys.actors(), q};
    for (uint64_t id = 1; id <= 4; ++id)
      REQUIRE(enqueue(sys.actors(), q, id, "job" + std::to_string(id)));
    caf::scoped_actor self{sys.actors()};
    REQUIRE(pull(self, q));
    REQUIRE(rpc::call<void>(sys, q, bound, ack_atom::value, uint64_t{1}));
    REQUIRE(pull(self, q));
    REQUIRE(rpc::call<void>(sys, q, bound, nack_atom::value, uint64_t{2}));
    REQUIRE(pull(self, q)); // job 3 leased, never acked: must come back
    stop(sys.actors(), q);
  }
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = path, .max_failures = 1});
  queue_guard guard{sys.actors(), q};
  CHECK(stats(sys.actors(), q) == std::tuple<size_t, size_t, size_t, size_t>{2, 0, 1, 7});
  caf::scoped_actor self{sys.actors()};
  CHECK(pull(self, q) == pulled{3, "job3", 0});
  CHECK(pull(self, q) == pulled{4, "job4", 0});
  CHECK(rpc::call<std::vector<uint64_t>>(sys, q, bound, dead_atom::value)
        == std::vector<uint64_t>{2});
  stop(sys.actors(), q);
}

TEST_CASE("work queue: a full queue fails producers with queue_full when not blocking") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = dir.file("q.log"),
                                      .capacity = 2,
                                      .block_when_full = false});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 1, "a"));
  REQUIRE(enqueue(sys.actors(), q, 2, "b"));
  auto r = enqueue(sys.actors(), q, 3, "c");
  REQUIRE(!r);
  CHECK(r.error().category() == errc_category);
  CHECK(static_cast<errc>(r.error().code()) == errc::queue_full);
  stop(sys.actors(), q);
}

TEST_CASE("work queue: a full queue makes producers wait for room, bounded by their deadline") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(),
                       {.log_path = dir.file("q.log"), .capacity = 1});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 1, "a"));
  // A producer with a short deadline gives up with a timeout.
  auto r = enqueue(sys.actors(), q, 2, "b", 50ms);
  REQUIRE(!r);
  CHECK(static_cast<errc>(r.error().code()) == errc::timeout);
  // A patient producer is answered once a worker makes room.
  caf::scoped_actor producer{sys.actors()};
  auto pending = producer->request(q, bound, enqueue_atom::value, uint64_t{3},
                                   std::string{"c"});
  caf::scoped_actor worker{sys.actors()};
  REQUIRE(pull(worker, q) == pulled{1, "a", 0});
  REQUIRE(rpc::call<void>(sys, q, bound, ack_atom::value, uint64_t{1}));
  // The producer that timed out waited first, so its job took the free slot
  // (at-least-once: a producer that gave up may still see its job run).
  REQUIRE(pull(worker, q) == pulled{2, "b", 0});
  REQUIRE(rpc::call<void>(sys, q, bound, ack_atom::value, uint64_t{2}));
  uint64_t accepted = 0;
  pending.receive([&](uint64_t id) { accepted = id; },
                  [&](caf::error& err) { FAIL(render(err)); });
  CHECK(accepted == 3);
  CHECK(std::get<0>(stats(sys.actors(), q)) == 1u);
  stop(sys.actors(), q);
}

TEST_CASE("work queue: the log is compacted when acked jobs dominate, and replays the same state") {
  temp_dir dir;
  auto path = dir.file("q.log");
  {
    test_config cfg;
    troupe::system sys{cfg};
    auto q = spawn_queue(sys.actors(), {.log_path = path, .fsync_every = 0});
    queue_guard guard{sys.actors(), q};
    caf::scoped_actor self{sys.actors()};
    for (uint64_t id = 1; id <= 600; ++id) {
      REQUIRE(enqueue(sys.actors(), q, id, "x"));
      if (id <= 595) {
        REQUIRE(pull(self, q));
        REQUIRE(rpc::call<void>(sys, q, bound, ack_atom::value, id));
      }
    }
    // 600 enqueues + 595 acks were written; compaction kept the live ones.
    auto st = stats(sys.actors(), q);
    CHECK(std::get<0>(st) == 5u);
    CHECK(std::get<3>(st) < 200u);
    stop(sys.actors(), q);
  }
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = path});
  queue_guard guard{sys.actors(), q};
  CHECK(std::get<0>(stats(sys.actors(), q)) == 5u);
  caf::scoped_actor self{sys.actors()};
  CHECK(pull_id(self, q) == 596u);
  stop(sys.actors(), q);
}

TEST_CASE("work queue: every acknowledged enqueue and ack is in the log "
          "before its reply, under each fsync policy") {
  // What a crash of this process may lose: nothing acknowledged. (What a
  // crash of the machine may lose depends on fsync_every: the job log's
  // test counts its fsyncs.)
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  for (uint32_t every : {1u, 64u, 0u}) {
    INFO("fsync_every = " << every);
    std::string name = "policy-";
    name += std::to_string(every); // not "literal" + to_string: GCC 12's
                                   // -Wrestrict misfires on it at -O2
    auto path = dir.file(name.c_str());
    auto q = spawn_queue(sys.actors(), {.log_path = path, .fsync_every = every});
    queue_guard guard{sys.actors(), q};
    caf::scoped_actor self{sys.actors()};
    size_t acked = 0;
    for (uint64_t id = 1; id <= 20; ++id) {
      REQUIRE(enqueue(sys.actors(), q, id, std::string(100, 'p')) == id);
      CHECK(records_in_copy(path) == ++acked);
      if (id % 2 == 0) {
        REQUIRE(pull(self, q));
        REQUIRE(rpc::call<void>(sys, q, bound, ack_atom::value, id - 1));
        CHECK(records_in_copy(path) == ++acked);
      }
    }
    stop(sys.actors(), q);
  }
}

TEST_CASE("work queue: a stale lease timer does not expire a newer lease of "
          "the same job") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  // The 30 s lease never runs out during the test: only the timer messages
  // sent below can expire a lease.
  auto q = spawn_queue(sys.actors(), {.log_path = dir.file("q.log")});
  queue_guard guard{sys.actors(), q};
  REQUIRE(enqueue(sys.actors(), q, 1, "job"));
  caf::scoped_actor self{sys.actors()};
  REQUIRE(pull(self, q) == pulled{1, "job", 0}); // lease 1
  REQUIRE(rpc::call<void>(sys, q, bound, nack_atom::value, uint64_t{1}));
  REQUIRE(pull(self, q) == pulled{1, "job", 1}); // lease 2, same worker
  // Lease 1's timer fires late, while lease 2 runs: nothing changes.
  caf::anon_send(q, lease_timer_atom::value, uint64_t{1}, uint64_t{1});
  CHECK(stats(sys.actors(), q) == std::tuple<size_t, size_t, size_t, size_t>{0, 1, 0, 2});
  // Lease 2's own timer does expire it (and shows that the message above
  // was understood, not dropped as unknown).
  caf::anon_send(q, lease_timer_atom::value, uint64_t{1}, uint64_t{2});
  CHECK(stats(sys.actors(), q) == std::tuple<size_t, size_t, size_t, size_t>{1, 0, 0, 3});
  CHECK(pull(self, q) == pulled{1, "job", 2});
  stop(sys.actors(), q);
}

TEST_CASE("work queue: a long poll expires with a timeout error and never "
          "holds a job for a worker that stopped waiting") {
  temp_dir dir;
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = dir.file("q.log")});
  queue_guard guard{sys.actors(), q};
  caf::scoped_actor self{sys.actors()};
  // The queue answers the empty poll itself, before the caller's deadline.
  caf::error err;
  self->request(q, bound, pull_atom::value, caf::timespan{20ms})
    .receive([](uint64_t, std::string&, uint32_t) { FAIL("no job was queued"); },
             [&](caf::error& e) { err = std::move(e); });
  CHECK(err.category() == errc_category);
  CHECK(err.code() == static_cast<uint8_t>(errc::timeout));
  // The expired poll is gone: a job enqueued now goes to the next pull, not
  // to the request that already gave up (it would sit leased otherwise).
  REQUIRE(enqueue(sys.actors(), q, 5, "late"));
  CHECK(stats(sys.actors(), q) == std::tuple<size_t, size_t, size_t, size_t>{1, 0, 0, 1});
  CHECK(pull(self, q) == pulled{5, "late", 0});
  stop(sys.actors(), q);
}
