#pragma once
// What the specifications of troupe::rpc share: a receiver that holds its
// requests, and two actor systems in this process talking over a real TCP
// connection (CAF's BASP through the middleman), with a way to cut it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include <troupe/rpc.hpp>

#include "test_support.hpp"

namespace troupe::test {

using echo_atom = caf::atom_constant<caf::atom("echo")>;
using silent_atom = caf::atom_constant<caf::atom("silent")>;
using noop_atom = caf::atom_constant<caf::atom("noop")>;


inline errc code_of(const caf::error& err) {
  REQUIRE(err.category() == errc_category);
  return static_cast<errc>(err.code());
}

/// The sentence a troupe error carries as its context ("" if none).
inline std::string context_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return {};
}

// Keeps every `silent` request pending (never answers) and opens `arrived`
// for each one, so a test knows the request is in the receiver's hands;
// `stop` makes it quit while it handles that very request; `echo` and `noop`
// answer as the server does.
inline caf::behavior holder(caf::event_based_actor* self,
                     std::shared_ptr<gate> arrived) {
  return {
    [=](echo_atom, int64_t x) { return x; },
    [=](noop_atom) {},
    [=](silent_atom) -> caf::result<int64_t> {
      arrived->open();
      return self->make_response_promise<int64_t>();
    },
    [=](stop_atom) -> caf::result<int64_t> {
      auto rp = self->make_response_promise<int64_t>();
      self->quit();
      return rp;
    },
  };
}

using ms = std::chrono::milliseconds;

inline ms since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<ms>(std::chrono::steady_clock::now() - t0);
}

/// Long enough that a call ending "at once" cannot be mistaken for one that
/// ran into its deadline.
constexpr auto long_deadline = std::chrono::seconds(30);

/// Shuts down every connected TCP socket of this process whose local port is
/// `port`, i.e. the accepted side of a published port: what the kernel does
/// to the sockets of a process that is SIGKILLed. The peer reads the end of
/// the stream; CAF on both sides then closes the connection itself.
inline size_t cut_connections_at(uint16_t port) {
  size_t n = 0;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::stoi(entry.path().filename().string());
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0
        || local.sin_family != AF_INET || ntohs(local.sin_port) != port)
      continue;
    len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
      continue; // the listening socket
    if (shutdown(fd, SHUT_RDWR) == 0)
      ++n;
  }
  return n;
}

/// Two nodes in this process: `b` publishes a holder on a loopback port and
/// `a` reaches it through a proxy, over a real TCP connection.
struct two_nodes {
  test_config cfg_a;
  test_config cfg_b;
  troupe::system a{cfg_a};
  troupe::system b{cfg_b};
  std::shared_ptr<gate> arrived = std::make_shared<gate>();
  caf::actor held = b.spawn(holder, arrived);
  uint16_t port = 0;
  caf::actor remote; // `held` as seen from a

  two_nodes() {
    auto p = b.actors().middleman().publish(held, 0, "127.0.0.1");
    REQUIRE(p);
    port = *p;
    auto r = a.actors().middleman().remote_actor("127.0.0.1", port);
    REQUIRE(r);
    remote = std::move(*r);
    REQUIRE(remote->node() != a.actors().node());
  }

  ~two_nodes() {
    caf::anon_send_exit(held, caf::exit_reason::kill);
  }

  /// Calls `silent` on the remote holder from another thread; returns once
  /// the holder has the request.
  std::future<caf::expected<int64_t>> call_pending() {
    auto fut = std::async(std::launch::async, [this] {
      return rpc::call<int64_t>(a, remote, long_deadline, silent_atom::value);
    });
    REQUIRE(arrived->wait_open());
    return fut;
  }
};


} // namespace troupe::test
