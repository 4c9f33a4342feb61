#pragma once
// Two actor systems in one process linked by troupe's transport, plus a raw
// TCP client for the tests that play a hostile peer.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "test_support.hpp"
#include "transport/handshake.hpp"
#include "transport/transport.hpp"
#include "transport/wire.hpp"

namespace troupe::test {

struct transport_node {
  explicit transport_node(detail::transport_settings s = {})
    : sys{with_middleman(cfg)} {
    auto t = detail::transport::start(sys, std::move(s));
    REQUIRE(t);
    link = std::move(*t);
  }
  ~transport_node() {
    link->stop();
  }
  // CAF gives an actor system its node id when the middleman is loaded.
  static caf::actor_system_config& with_middleman(caf::actor_system_config& c) {
    c.load<caf::io::middleman>();
    return c;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys;
  std::unique_ptr<detail::transport> link;
};

inline detail::transport_settings with_secret(std::string secret) {
  detail::transport_settings s;
  s.secret = std::move(secret);
  return s;
}

/// Whether the node on 127.0.0.1:port lets `from` connect and its published
/// actor (a worker) answers a `get`.
inline bool serves(transport_node& from, uint16_t port) {
  auto remote = from.link->connect("127.0.0.1", port, bound);
  if (!remote)
    return false;
  caf::scoped_actor self{from.sys};
  bool ok = false;
  self->request(*remote, bound, get_atom::value)
    .receive([&](int64_t) { ok = true; }, [](caf::error&) {});
  return ok;
}

/// A plain TCP connection to 127.0.0.1:port, reads bounded by `bound`.
class raw_peer {
public:
  explicit raw_peer(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr),
                           sizeof(addr))
                 == 0;
    timeval tv{};
    tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(bound).count();
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~raw_peer() {
    ::close(fd_);
  }
  bool connected() const {
    return connected_;
  }
  int fd() const {
    return fd_;
  }
  void send(const std::vector<char>& bytes) {
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  /// Reads one whole frame (header included), empty on close or timeout.
  std::vector<char> read_frame() {
    std::vector<char> frame(detail::wire::header_size);
    if (!read_exactly(frame.data(), frame.size()))
      return {};
    auto length = detail::wire::get_u32(frame.data());
    frame.resize(frame.size() + length);
    if (!read_exactly(frame.data() + detail::wire::header_size, length))
      return {};
    return frame;
  }
  bool read_exactly(char* dst, size_t n) {
    while (n > 0) {
      auto got = ::recv(fd_, dst, n, 0);
      if (got <= 0)
        return false;
      dst += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  /// Plays a node without a secret through the handshake, as process 4242
  /// of host 0x42...: the node's hello (it names its published actor), or
  /// nothing if the node did not answer as expected.
  std::optional<detail::wire::hello> handshake_without_secret() {
    auto theirs = read_frame();
    if (theirs.size() != detail::wire::header_size + detail::wire::hello_size)
      return std::nullopt;
    std::string why;
    auto hello = detail::wire::decode_hello(
      theirs.data() + detail::wire::header_size, detail::wire::hello_size, why);
    if (!hello)
      return std::nullopt;
    detail::wire::hello mine;
    mine.process_id = 4242;
    mine.host_id.fill(0x42);
    mine.nonce = detail::make_nonce();
    std::vector<char> out;
    detail::wire::encode(out, mine);
    auto at = detail::wire::begin_frame(out, detail::wire::kind::proof);
    detail::wire::end_frame(out, at); // no secret: an empty proof
    send(out);
    if (read_frame().size() != detail::wire::header_size) // its proof
      return std::nullopt;
    return hello;
  }

  /// The node id handshake_without_secret() claims.
  static caf::node_id claimed_node() {
    caf::node_id::default_data::host_id_type host;
    host.fill(0x42);
    return caf::make_node_id(4242, host);
  }

  /// Reads until the node closes the connection; true if it did within the
  /// bound (recv returned 0 or an error other than the timeout).
  bool closed_by_node() {
    char buf[4096];
    for (;;) {
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0)
        continue; // the node's hello
      if (n == 0)
        return true;
      return errno != EAGAIN && errno != EWOULDBLOCK;
    }
  }

private:
  int fd_ = -1;
  bool connected_ = false;
};

} // namespace troupe::test
