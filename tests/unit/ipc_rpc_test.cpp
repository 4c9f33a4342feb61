// Specification of troupe::rpc: request/response with deadlines, distinct
// errors and retries only for idempotent calls.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <string>

#include <catch2/catch.hpp>

#include <troupe/rpc.hpp>

#include "rpc_fixture.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

using flaky_atom = caf::atom_constant<caf::atom("flaky")>;

struct server_state {
  std::shared_ptr<std::atomic<int>> calls;
};

// echo answers; silent never answers; flaky ignores its first `n` requests
// and answers the next ones; noop answers with an empty reply.
caf::behavior server(caf::stateful_actor<server_state>* self,
                     std::shared_ptr<std::atomic<int>> calls, int n) {
  self->state.calls = calls;
  return {
    [=](echo_atom, int64_t x) { return x; },
    [=](silent_atom) -> caf::result<int64_t> {
      ++*self->state.calls;
      return self->make_response_promise<int64_t>();
    },
    [=](flaky_atom) -> caf::result<int64_t> {
      auto k = ++*self->state.calls;
      if (k <= n)
        return self->make_response_promise<int64_t>();
      return int64_t{k};
    },
    [=](noop_atom) {},
    [=](crash_atom) -> int64_t { throw std::runtime_error("server crashed"); },
  };
}

} // namespace


TEST_CASE("rpc::call returns the reply of a local actor") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 0);
  auto r = rpc::call<int64_t>(sys, srv, bound, echo_atom::value, int64_t{42});
  REQUIRE(r);
  CHECK(*r == 42);
  auto v = rpc::call<void>(sys.actors(), srv, bound, noop_atom::value);
  CHECK(v);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc::call fails with timeout when no reply comes before the deadline") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 0);
  auto r = rpc::call<int64_t>(sys, srv, 50ms, silent_atom::value);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::timeout);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc::call fails with no_handler when the receiver does not handle the message") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 0);
  auto r = rpc::call<int64_t>(sys, srv, bound, std::string{"what?"});
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::no_handler);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc::call fails with receiver_down for a terminated local receiver") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 0);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
  REQUIRE(await_down(sys.actors(), srv));
  auto r = rpc::call<int64_t>(sys, srv, bound, echo_atom::value, int64_t{1});
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::receiver_down);
  auto empty = rpc::call<int64_t>(sys, caf::actor{}, bound, echo_atom::value,
                                  int64_t{1});
  REQUIRE(!empty);
  CHECK(code_of(empty.error()) == errc::receiver_down);
}

TEST_CASE("rpc::call passes on the error of a receiver that fails while handling") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 0);
  auto t0 = std::chrono::steady_clock::now();
  auto r = rpc::call<int64_t>(sys, srv, long_deadline, crash_atom::value);
  auto took = since(t0);
  REQUIRE(!r);
  // Not a timeout: the caller learns at once that the receiver failed, and
  // gets the receiver's own error unchanged (CAF answers the request with
  // sec::runtime_error for the exception).
  INFO(render(r.error()));
  CHECK(r.error() == caf::sec::runtime_error);
  CHECK(took < long_deadline / 2);
}

TEST_CASE("rpc::call retries an idempotent call after timeouts, with backoff") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 2); // ignores two requests
  rpc::options opts;
  opts.deadline = 50ms;
  opts.retries = 3;
  opts.backoff = 1ms;
  opts.idempotent = true;
  auto r = rpc::call<int64_t>(sys, srv, opts, flaky_atom::value);
  REQUIRE(r);
  CHECK(*r == 3);
  CHECK(calls->load() == 3);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc::call gives up after the allowed retries of an idempotent call") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 100);
  rpc::options opts;
  opts.deadline = 20ms;
  opts.retries = 2;
  opts.backoff = 1ms;
  opts.idempotent = true;
  auto r = rpc::call<int64_t>(sys, srv, opts, flaky_atom::value);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::timeout);
  // The attempts are answered by the server in order; the last one arrived.
  CHECK(rpc::call<int64_t>(sys, srv, bound, echo_atom::value, int64_t{0}));
  CHECK(calls->load() == 3);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc::call never retries a call that is not marked idempotent") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 1);
  rpc::options opts;
  opts.deadline = 50ms;
  opts.retries = 5;
  opts.backoff = 1ms;
  auto r = rpc::call<int64_t>(sys, srv, opts, flaky_atom::value);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::timeout);
  CHECK(rpc::call<int64_t>(sys, srv, bound, echo_atom::value, int64_t{0}));
  CHECK(calls->load() == 1);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc backoff doubles per retry up to its cap") {
  rpc::options opts;
  opts.backoff = 10ms;
  opts.max_backoff = 50ms;
  CHECK(rpc::backoff_for(opts, 1) == caf::timespan{10ms});
  CHECK(rpc::backoff_for(opts, 2) == caf::timespan{20ms});
  CHECK(rpc::backoff_for(opts, 3) == caf::timespan{40ms});
  CHECK(rpc::backoff_for(opts, 4) == caf::timespan{50ms});
}

TEST_CASE("rpc::classify gives actors the same error codes as rpc::call") {
  test_config cfg;
  troupe::system sys{cfg};
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto srv = sys.spawn(server, calls, 0);
  caf::scoped_actor self{sys.actors()};
  auto client = sys.spawn([=](caf::event_based_actor* c) -> caf::behavior {
    return {[=](get_atom) -> caf::result<uint8_t> {
      auto rp = c->make_response_promise<uint8_t>();
      c->request(srv, 30ms, silent_atom::value)
        .then([=](int64_t) mutable { rp.deliver(uint8_t{0}); },
              [=](caf::error& err) mutable {
                rp.deliver(rpc::classify(err, srv).code());
              });
      return rp;
    }};
  });
  auto code = ask<uint8_t>(sys.actors(), client, get_atom::value);
  REQUIRE(code);
  CHECK(static_cast<errc>(*code) == errc::timeout);
  caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}

TEST_CASE("rpc::call fails at once with receiver_down when a local receiver "
          "quits while handling the request") {
  test_config cfg;
  troupe::system sys{cfg};
  auto srv = sys.spawn(holder, std::make_shared<gate>());
  // The receiver takes the request and quits without answering: CAF 0.17
  // sends no error for it, only the caller's watch on the receiver does.
  auto t0 = std::chrono::steady_clock::now();
  auto r = rpc::call<int64_t>(sys, srv, long_deadline, stop_atom::value);
  auto took = since(t0);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::receiver_down);
  CHECK(took < long_deadline / 2);
}

TEST_CASE("rpc::call fails at once with receiver_down when a local receiver "
          "is killed while the request is pending") {
  test_config cfg;
  troupe::system sys{cfg};
  auto arrived = std::make_shared<gate>();
  auto srv = sys.spawn(holder, arrived);
  auto fut = std::async(std::launch::async, [&] {
    return rpc::call<int64_t>(sys, srv, long_deadline, silent_atom::value);
  });
  REQUIRE(arrived->wait_open());
  auto t0 = std::chrono::steady_clock::now();
  caf::anon_send_exit(srv, caf::exit_reason::kill);
  REQUIRE(fut.wait_for(bound) == std::future_status::ready);
  auto took = since(t0);
  auto r = fut.get();
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::receiver_down);
  CHECK(took < long_deadline / 2);
}

TEST_CASE("rpc::call returns the reply of a remote actor") {
  two_nodes nodes;
  auto r = rpc::call<int64_t>(nodes.a, nodes.remote, bound, echo_atom::value,
                              int64_t{7});
  REQUIRE(r);
  CHECK(*r == 7);
  CHECK(rpc::call<void>(nodes.a, nodes.remote, bound, noop_atom::value));
  // A reply of another type than asked for is CAF's unexpected_response.
  auto wrong = rpc::call<std::string>(nodes.a, nodes.remote, bound,
                                      echo_atom::value, int64_t{7});
  REQUIRE(!wrong);
  CHECK(wrong.error() == caf::sec::unexpected_response);
}

TEST_CASE("rpc::call fails at once with node_down when the receiver's node is "
          "lost while the request is pending") {
  two_nodes nodes;
  auto fut = nodes.call_pending();
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(cut_connections_at(nodes.port) > 0);
  REQUIRE(fut.wait_for(bound) == std::future_status::ready);
  auto took = since(t0);
  auto r = fut.get();
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::node_down);
  CHECK_THAT(context_of(r.error()), Catch::Contains("node was lost"));
  CHECK(took < long_deadline / 2);
  WARN("connection lost to node_down: " << took.count() << " ms");
}

TEST_CASE("rpc::call fails at once with receiver_down, not node_down, when a "
          "remote receiver terminates on a live node while the request is "
          "pending") {
  two_nodes nodes;
  auto fut = nodes.call_pending();
  auto t0 = std::chrono::steady_clock::now();
  caf::anon_send_exit(nodes.held, caf::exit_reason::kill);
  REQUIRE(fut.wait_for(bound) == std::future_status::ready);
  auto took = since(t0);
  auto r = fut.get();
  REQUIRE(!r);
  // Its node is alive: the actor ended, with its exit reason in the text.
  CHECK(code_of(r.error()) == errc::receiver_down);
  CHECK_THAT(context_of(r.error()),
             Catch::Contains("the node is alive") && Catch::Contains("kill"));
  CHECK(took < long_deadline / 2);
  WARN("remote receiver killed to receiver_down: " << took.count() << " ms");
}

TEST_CASE("rpc::call to a receiver on a lost node fails at once, also on "
          "retries") {
  two_nodes nodes;
  REQUIRE(cut_connections_at(nodes.port) > 0);
  REQUIRE(await_down(nodes.a.actors(), nodes.remote));
  rpc::options opts;
  opts.deadline = long_deadline;
  opts.retries = 2;
  opts.backoff = 1ms;
  opts.idempotent = true;
  auto t0 = std::chrono::steady_clock::now();
  auto r = rpc::call<int64_t>(nodes.a, nodes.remote, opts, silent_atom::value);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::node_down);
  CHECK(since(t0) < long_deadline / 2);
}
