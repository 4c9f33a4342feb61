// Specification of troupe::rpc::request, the actor-side rpc::call: the same
// errors, the same early end when the receiver or its node is lost, and no
// blocking; and of the check that a message for a remote actor holds only
// registered types (both forms).

#include <future>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include <troupe/rpc.hpp>

#include "rpc_fixture.hpp"

using namespace troupe;
using namespace troupe::test;

namespace bank {

/// A message type with an inspect function that nobody registered.
struct deposit {
  int64_t amount = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deposit& x) {
  return f(caf::meta::type_name("bank::deposit"), x.amount);
}

} // namespace bank

namespace {

/// Sends one rpc::request from a fresh actor; the future gets its outcome.
template <class R, class... Ts>
std::future<caf::expected<R>>
request_from_actor(caf::actor_system& sys, caf::actor dest,
                   caf::timespan deadline, Ts... xs) {
  auto done = std::make_shared<std::promise<caf::expected<R>>>();
  auto fut = done->get_future();
  sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto on_error = [=](const caf::error& err) {
      done->set_value(err);
      self->quit();
    };
    if constexpr (std::is_void_v<R>)
      rpc::request<void>(self, dest, deadline, xs...)
          .then(
              [=] {
                done->set_value(caf::expected<void>{});
                self->quit();
              },
              on_error);
    else
      rpc::request<R>(self, dest, deadline, xs...)
          .then(
              [=](R x) {
                done->set_value(std::move(x));
                self->quit();
              },
              on_error);
    return {[](int) {}}; // alive until a handler quits
  });
  return fut;
}

template <class T>
caf::expected<T> get(std::future<caf::expected<T>>& fut) {
  REQUIRE(fut.wait_for(bound) == std::future_status::ready);
  return fut.get();
}

} // namespace

TEST_CASE("rpc::request from an actor returns the reply of a remote actor") {
  two_nodes nodes;
  auto x = request_from_actor<int64_t>(nodes.a.actors(), nodes.remote, bound,
                                       echo_atom::value, int64_t{7});
  CHECK(get(x) == int64_t{7});
  auto nothing = request_from_actor<void>(nodes.a.actors(), nodes.remote, bound,
                                          noop_atom::value);
  CHECK(get(nothing));
}

TEST_CASE("rpc::request from an actor ends at once with node_down when the "
          "receiver's node is lost, not at its deadline") {
  two_nodes nodes;
  auto fut = request_from_actor<int64_t>(nodes.a.actors(), nodes.remote,
                                         long_deadline, silent_atom::value);
  REQUIRE(nodes.arrived->wait_open());
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(cut_connections_at(nodes.port) > 0);
  auto r = get(fut);
  auto took = since(t0);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::node_down);
  CHECK(took < long_deadline / 2);
  WARN("connection lost to node_down in an actor: " << took.count() << " ms");
}

TEST_CASE("rpc::request from an actor ends at once with receiver_down when a "
          "remote receiver is killed on a live node") {
  two_nodes nodes;
  auto fut = request_from_actor<int64_t>(nodes.a.actors(), nodes.remote,
                                         long_deadline, silent_atom::value);
  REQUIRE(nodes.arrived->wait_open());
  auto t0 = std::chrono::steady_clock::now();
  caf::anon_send_exit(nodes.held, caf::exit_reason::kill);
  auto r = get(fut);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::receiver_down);
  CHECK_THAT(context_of(r.error()), Catch::Contains("the node is alive"));
  CHECK(since(t0) < long_deadline / 2);
}

TEST_CASE("a message with an unregistered type for a remote actor is "
          "unregistered_type at the call, naming the C++ type and the "
          "registration to add") {
  two_nodes nodes;
  auto check = [](const caf::expected<int64_t>& r) {
    REQUIRE(!r);
    CHECK(code_of(r.error()) == errc::unregistered_type);
    CHECK_THAT(
        context_of(r.error()),
        Catch::Contains("bank::deposit")
            && Catch::Contains(
                "cfg.add_message_type<bank::deposit>(\"bank::deposit\")"));
  };
  SECTION("rpc::call") {
    check(rpc::call<int64_t>(nodes.a, nodes.remote, long_deadline,
                             bank::deposit{5}));
  }
  SECTION("rpc::request from an actor") {
    auto fut = request_from_actor<int64_t>(nodes.a.actors(), nodes.remote,
                                           long_deadline, bank::deposit{5});
    check(get(fut));
  }
  // The receiver still answers what it can read.
  CHECK(rpc::call<int64_t>(nodes.a, nodes.remote, bound, echo_atom::value,
                           int64_t{1})
        == int64_t{1});
}

TEST_CASE("a message with an unregistered type for a local actor is sent: "
          "local messages are not serialized") {
  test_config cfg;
  troupe::system sys{cfg};
  auto srv = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](const bank::deposit& d) { return d.amount; }};
  });
  CHECK(rpc::call<int64_t>(sys, srv, bound, bank::deposit{5}) == int64_t{5});
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
}
