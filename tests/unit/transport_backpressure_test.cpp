// Backpressure on troupe's transport (issue 13, item 5), both ways round:
// a peer that reads too slowly makes sends to it fail with peer_overloaded
// once troupe.max-pending-bytes wait for it; a peer that sends faster than
// this node's actors handle gets at most troupe.max-inbound-bytes of its
// messages into their mailboxes, the rest dropped and counted, its
// requests answered with peer_overloaded. Memory is bounded on both sides.

#include <catch2/catch.hpp>

#include <future>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "transport_fixture.hpp"
#include "troupe/errc.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

using count_atom = caf::atom_constant<caf::atom("bp_count")>;

/// Counts the strings it gets; the first one blocks it until `go` is set.
caf::behavior stalled_sink(caf::stateful_actor<counter_state>* self,
                           std::shared_future<void> go) {
  return {
    [=](const std::string&) {
      if (self->state.total++ == 0)
        go.wait(); // the test releases it: bounded by the test's own steps
    },
    [=](count_atom) { return self->state.total; },
    [=](count_atom, const std::string&) { return self->state.total; },
  };
}

} // namespace

TEST_CASE("a peer faster than this node's actors gets at most "
          "troupe.max-inbound-bytes into their mailboxes, the rest is dropped "
          "and its requests fail with peer_overloaded") {
  detail::transport_settings small;
  small.max_inbound_bytes = 1u << 20;
  transport_node a{small}, b;
  std::promise<void> release;
  auto sink = a.sys.spawn(stalled_sink, release.get_future().share());
  // The published actor is protected (exempt, as the agent is): the peer
  // finds the sink through it, as it finds actors through the agent.
  auto door = a.sys.spawn([sink]() -> caf::behavior {
    return {[sink](get_atom) { return sink; }};
  });
  auto port = a.link->listen("127.0.0.1", 0, door);
  REQUIRE(port);
  auto published = b.link->connect("127.0.0.1", *port, bound);
  REQUIRE(published);
  caf::scoped_actor self{b.sys};
  caf::actor found;
  self->request(*published, bound, get_atom::value)
    .receive([&](caf::actor& x) { found = x; }, [](caf::error&) {});
  REQUIRE(found);
  auto remote = &found;
  const std::string chunk(16 * 1024, 'x');
  const int sent = 400; // 6.4 MB at a sink that handles none of it yet
  for (int i = 0; i < sent; ++i)
    self->send(*remote, chunk);
  // A request as large as the messages: the mailboxes hold within one
  // message of the limit, so it cannot fit and is refused at once.
  caf::error overloaded;
  self->request(*remote, bound, count_atom::value, chunk)
    .receive([](int64_t) {}, [&](caf::error& e) { overloaded = e; });
  INFO(render(overloaded));
  CHECK(overloaded == errc::peer_overloaded);
  auto dropped = a.link->stats().dropped_messages;
  CHECK(dropped >= static_cast<uint64_t>(sent) - (1u << 20) / chunk.size() - 1);
  release.set_value();
  // Once the sink has handled what it holds, the peer gets through again.
  int64_t handled = -1;
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (handled < 0 && std::chrono::steady_clock::now() < deadline)
    self->request(*remote, bound, count_atom::value)
      .receive([&](int64_t n) { handled = n; }, [](caf::error&) {});
  CHECK(handled > 0);
  // Every message was handled or counted as dropped (the request too).
  CHECK(static_cast<uint64_t>(handled) + dropped == static_cast<uint64_t>(sent) + 1);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(door, caf::exit_reason::user_shutdown);
}

TEST_CASE("sends to a peer that stops reading fail with peer_overloaded once "
          "troupe.max-pending-bytes wait for it") {
  detail::transport_settings small;
  small.max_pending_bytes = 1u << 20;
  transport_node a{small};
  auto w = a.sys.spawn(worker);
  auto port = a.link->listen("127.0.0.1", 0, w);
  REQUIRE(port);
  raw_peer reader{*port};
  REQUIRE(reader.connected());
  REQUIRE(reader.handshake_without_secret()); // and then it reads no more
  auto stuck = a.link->proxy_of(raw_peer::claimed_node(), 1);
  caf::scoped_actor self{a.sys};
  const std::string chunk(64 * 1024, 'x');
  caf::error overloaded;
  // The kernel's socket buffers take some megabytes first; 64 MB is more
  // than they hold on any machine here.
  for (int i = 0; i < 1000 && !overloaded; ++i) {
    self->send(stuck, chunk);
    // A request that still fits is sent and never answered: a short
    // deadline, then on (only peer_overloaded, at once, counts).
    if (i % 50 == 49)
      self->request(stuck, std::chrono::milliseconds(200), chunk)
        .receive([](caf::message&) {}, [&](caf::error& e) {
          if (e == errc::peer_overloaded)
            overloaded = e;
        });
  }
  CHECK(overloaded == errc::peer_overloaded);
  CHECK(a.link->stats().dropped_messages > 0);
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}
