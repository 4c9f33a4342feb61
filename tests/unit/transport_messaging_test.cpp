// Messages between two actor systems over troupe's transport behave as
// between local actors: requests and responses, monitors with the remote
// exit reason, links in both directions, handles inside messages, and a
// lost connection ends every proxy with remote_link_unreachable.

#include <catch2/catch.hpp>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "transport_fixture.hpp"
#include "troupe/errc.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

caf::actor connect(transport_node& from, transport_node& to,
                   const caf::actor& published) {
  auto port = to.link->listen("127.0.0.1", 0, published);
  REQUIRE(port);
  auto remote = from.link->connect("127.0.0.1", *port, bound);
  REQUIRE(remote);
  return *remote;
}

caf::down_msg await_down(caf::scoped_actor& self) {
  caf::down_msg result;
  self->receive([&](caf::down_msg& dm) { result = std::move(dm); },
                caf::after(bound) >> [] { FAIL("no down_msg within the bound"); });
  return result;
}

} // namespace

TEST_CASE("a request to a remote actor gets its response") {
  transport_node a, b;
  auto w = a.sys.spawn(worker);
  auto remote = connect(b, a, w);
  CHECK(remote.node() == a.sys.node());
  caf::scoped_actor self{b.sys};
  for (int i = 1; i <= 100; ++i)
    self->send(remote, add_atom::value, int64_t{i});
  int64_t total = -1;
  self->request(remote, bound, get_atom::value)
    .receive([&](int64_t x) { total = x; },
             [&](caf::error& err) { FAIL(render(err)); });
  CHECK(total == 5050); // in send order, all of them
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

TEST_CASE("a monitor of a remote actor sees its own exit reason") {
  transport_node a, b;
  auto w = a.sys.spawn(worker);
  auto remote = connect(b, a, w);
  caf::scoped_actor self{b.sys};
  self->monitor(remote);
  self->send(remote, fail_atom::value);
  auto dm = await_down(self);
  CHECK(dm.source == remote.address());
  CHECK(dm.reason == caf::sec::runtime_error);
}

TEST_CASE("a handle sent in a message links across nodes both ways") {
  transport_node a, b;
  auto w = a.sys.spawn(worker);
  auto remote = connect(b, a, w);
  caf::scoped_actor self{b.sys};
  // b's local actor travels to a inside a message; a's worker links to it.
  auto local = b.sys.spawn(worker);
  self->monitor(remote);
  self->send(remote, link_atom::value, local);
  // A round trip: the link request was handled before this answer.
  self->request(remote, bound, get_atom::value)
    .receive([](int64_t) {}, [](caf::error& err) { FAIL(render(err)); });
  self->send(local, fail_atom::value);
  auto dm = await_down(self);
  CHECK(dm.source == remote.address());
  CHECK(dm.reason == caf::sec::runtime_error); // the linked actor's reason
}

TEST_CASE("a lost connection ends every proxy with remote_link_unreachable") {
  auto a = std::make_unique<transport_node>();
  transport_node b;
  auto w = a->sys.spawn(worker);
  auto remote = connect(b, *a, w);
  caf::scoped_actor self{b.sys};
  self->monitor(remote);
  a->link->stop();
  auto dm = await_down(self);
  CHECK(dm.reason == caf::exit_reason::remote_link_unreachable);
  // A request to the dead proxy fails at once, it does not time out.
  self->request(remote, bound, get_atom::value)
    .receive([](int64_t) { FAIL("a dead proxy answered"); },
             [](caf::error& err) { CHECK(err); });
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

TEST_CASE("a message above the frame limit fails at the sender") {
  detail::transport_settings small;
  small.max_frame_size = 64 * 1024;
  transport_node a{small}, b{small};
  auto echo = a.sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](const std::string& s) { return s.size(); }};
  });
  auto remote = connect(b, a, echo);
  caf::scoped_actor self{b.sys};
  caf::error failure;
  self->request(remote, bound, std::string(200 * 1024, 'x'))
    .receive([](size_t) { FAIL("an oversized message was sent"); },
             [&](caf::error& err) { failure = err; });
  CHECK(failure == errc::message_too_large);
  // The connection is still fine for messages within the limit.
  size_t size = 0;
  self->request(remote, bound, std::string(1000, 'x'))
    .receive([&](size_t n) { size = n; },
             [](caf::error& err) { FAIL(render(err)); });
  CHECK(size == 1000);
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

TEST_CASE("a null handle in a message arrives as a null handle") {
  transport_node a, b;
  // Answers whether the handle it got is null.
  auto probe = a.sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](const caf::actor& x) { return !x; }};
  });
  auto remote = connect(b, a, probe);
  caf::scoped_actor self{b.sys};
  bool null = false;
  self->request(remote, bound, caf::actor{})
    .receive([&](bool x) { null = x; },
             [&](caf::error& err) { FAIL(render(err)); });
  CHECK(null);
  caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
}
