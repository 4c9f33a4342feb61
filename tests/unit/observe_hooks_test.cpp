// What the runtime counts (issue 16, item 1): restarts and escalations per
// supervisor, messages through a stable name, rpc calls by outcome. Each
// case uses names of its own, since the registry is one per process.

#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "troupe/metrics.hpp"
#include "troupe/rpc.hpp"
#include "troupe/system.hpp"

using namespace troupe;
using namespace troupe::test;
using ev = supervisor_event;

namespace {

uint64_t counter_value(const char* name, const metrics::labels& ls = {}) {
  return metrics::get_counter(name, "", ls).value();
}

} // namespace

TEST_CASE("a supervisor counts its restarts and its escalation, and a stable "
          "name counts the messages it forwards") {
  test_config cfg;
  event_log events;
  troupe::system sys{cfg};
  auto sup = sys.start(
      supervisor_spec{.strategy = one_for_one,
                      .intensity = 1,
                      .period = 10s,
                      .children = {child("w", worker).named("obs-hooks-w")},
                      .on_event = events.hook()},
      "obs-hooks-sup");
  REQUIRE(sup);
  metrics::labels by_sup{{"supervisor", "obs-hooks-sup"}};
  metrics::labels by_name{{"name", "obs-hooks-w"}};
  auto named = sys.whereis("obs-hooks-w");
  REQUIRE(named);
  caf::scoped_actor self{sys.actors()};
  for (int i = 0; i < 3; ++i)
    self->request(*named, bound, get_atom::value)
        .receive([](int64_t) {}, [](caf::error& e) { FAIL(render(e)); });
  CHECK(counter_value("troupe_named_messages_total", by_name) == 3);

  CHECK(counter_value("troupe_supervisor_restarts_total", by_sup) == 0);
  caf::anon_send(child_handle(*sup, "w"), crash_atom::value);
  REQUIRE(events.wait_count(ev::child_started, "w", 2));
  CHECK(counter_value("troupe_supervisor_restarts_total", by_sup) == 1);
  CHECK(counter_value("troupe_supervisor_escalations_total", by_sup) == 0);
  // A second crash within the period exceeds intensity 1: escalation.
  caf::anon_send(child_handle(*sup, "w"), crash_atom::value);
  REQUIRE(events.wait_count(ev::escalating, "w", 1));
  CHECK(counter_value("troupe_supervisor_escalations_total", by_sup) == 1);
  CHECK(counter_value("troupe_supervisor_restarts_total", by_sup) == 1);
}

TEST_CASE("rpc::call counts each call by its outcome and its duration") {
  test_config cfg;
  troupe::system sys{cfg};
  auto ok_before = counter_value("troupe_rpc_calls_total", {{"outcome", "ok"}});
  auto to_before
      = counter_value("troupe_rpc_calls_total", {{"outcome", "timeout"}});
  auto nh_before
      = counter_value("troupe_rpc_calls_total", {{"outcome", "no_handler"}});
  auto& took = metrics::get_histogram("troupe_rpc_call_duration_seconds", "");
  uint64_t seen_before = 0;
  for (size_t i = 0; i <= metrics::histogram::bounds_ns.size(); ++i)
    seen_before += took.bucket(i);
  auto w = sys.actors().spawn(worker);
  auto silent
      = sys.actors().spawn([](caf::event_based_actor* self) -> caf::behavior {
          return {
              [=](get_atom) { return self->make_response_promise<int64_t>(); }};
        });
  // The calls that get an answer wait the tests' bound: a loaded machine
  // (CI under ASan) may take more than a second to schedule a fresh actor.
  CHECK(rpc::call<int64_t>(sys.actors(), w, bound, get_atom::value));
  CHECK_FALSE(rpc::call<int64_t>(sys.actors(), silent, 50ms, get_atom::value));
  CHECK_FALSE(rpc::call<int64_t>(sys.actors(), w, bound, std::string{"?"}));
  CHECK(counter_value("troupe_rpc_calls_total", {{"outcome", "ok"}})
        == ok_before + 1);
  CHECK(counter_value("troupe_rpc_calls_total", {{"outcome", "timeout"}})
        == to_before + 1);
  CHECK(counter_value("troupe_rpc_calls_total", {{"outcome", "no_handler"}})
        == nh_before + 1);
  uint64_t seen = 0;
  for (size_t i = 0; i <= metrics::histogram::bounds_ns.size(); ++i)
    seen += took.bucket(i);
  CHECK(seen == seen_before + 3);
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

#include <work_queue/work_queue.hpp>

#include "temp_dir.hpp"

TEST_CASE("a work queue reports its depth, leases, acks, redeliveries and "
          "dead letters, labelled by its log") {
  test_config cfg;
  troupe::system sys{cfg};
  temp_dir dir;
  auto log = dir.file("obs-queue.log");
  auto q = wq::spawn_queue(
      sys.actors(), wq::queue_config{.log_path = log, .max_failures = 2});
  metrics::labels ls{{"queue", log}};
  auto gauge = [&](const char* name) {
    return metrics::get_gauge(name, "", ls).value();
  };
  caf::scoped_actor self{sys.actors()};
  auto enqueue = [&](uint64_t id) {
    self->request(q, bound, wq::enqueue_atom::value, id, std::string{"job"})
        .receive([](uint64_t) {}, [](caf::error& e) { FAIL(render(e)); });
  };
  auto ask = [&](auto... xs) { // ack, nack: an empty reply
    self->request(q, bound, xs...)
        .receive([] {}, [](caf::error& e) { FAIL(render(e)); });
  };
  auto pull = [&] {
    uint64_t id = 0;
    self->request(q, bound, wq::pull_atom::value)
        .receive([&](uint64_t x, const std::string&, uint32_t) { id = x; },
                 [](caf::error& e) { FAIL(render(e)); });
    return id;
  };
  enqueue(1);
  enqueue(2);
  CHECK(gauge("troupe_queue_ready") == 2);
  CHECK(counter_value("troupe_queue_enqueued_total", ls) == 2);
  auto first = pull();
  CHECK(gauge("troupe_queue_leased") == 1);
  ask(wq::ack_atom::value, first);
  CHECK(counter_value("troupe_queue_acked_total", ls) == 1);
  CHECK(gauge("troupe_queue_leased") == 0);
  // The other job fails twice: redelivered once, then a dead letter.
  ask(wq::nack_atom::value, pull());
  CHECK(counter_value("troupe_queue_redeliveries_total", ls) == 1);
  CHECK(gauge("troupe_queue_ready") == 1);
  ask(wq::nack_atom::value, pull());
  CHECK(counter_value("troupe_queue_dead_lettered_total", ls) == 1);
  CHECK(gauge("troupe_queue_dead_letters") == 1);
  CHECK(gauge("troupe_queue_ready") == 0);
  CHECK(counter_value("troupe_queue_leases_total", ls) == 3);
  caf::anon_send_exit(q, caf::exit_reason::user_shutdown);
}
