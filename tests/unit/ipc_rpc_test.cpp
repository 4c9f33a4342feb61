// Specification of troupe::rpc: request/response with deadlines, distinct
// errors and retries only for idempotent calls.

#include <atomic>

#include <catch2/catch.hpp>

#include <troupe/rpc.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

using echo_atom = caf::atom_constant<caf::atom("echo")>;
using silent_atom = caf::atom_constant<caf::atom("silent")>;
using flaky_atom = caf::atom_constant<caf::atom("flaky")>;
using noop_atom = caf::atom_constant<caf::atom("noop")>;

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

errc code_of(const caf::error& err) {
  REQUIRE(err.category() == errc_category);
  return static_cast<errc>(err.code());
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
  auto r = rpc::call<int64_t>(sys, srv, bound, crash_atom::value);
  REQUIRE(!r);
  // Not a timeout: the caller learns at once that the receiver failed.
  CHECK(r.error() != make_error(errc::timeout));
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
  caf::scoped_actor self{sys.actors()};
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
