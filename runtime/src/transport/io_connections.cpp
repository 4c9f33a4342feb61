// The I/O thread's connections: listening, dialing, accepting within the
// caps, and closing (io_loop.hpp).

#include "transport/io_loop.hpp"

#include <netdb.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "transport/handshake.hpp"
#include "transport/socket_util.hpp"
#include "transport/transport_core.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

#include <caf/actor_registry.hpp>

namespace troupe::detail {

caf::expected<uint16_t> io_loop::listen(const std::string& host, uint16_t port,
                                        const caf::actor& published) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                             service.c_str(), &hints, &res);
      rc != 0)
    return make_error(errc::invalid_config, "cannot listen on " + host + ": "
                                              + gai_strerror(rc));
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0
      || ::listen(fd, 512) != 0) {
    auto why = std::string{std::strerror(errno)};
    ::freeaddrinfo(res);
    if (fd >= 0)
      ::close(fd);
    return make_error(errc::invalid_config, "cannot listen on " + host + ":"
                                              + std::to_string(port) + ": "
                                              + why);
  }
  ::freeaddrinfo(res);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  uint16_t actual = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6&>(bound).sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in&>(bound).sin_port);
  // Peers address the published actor by id: it must be in the registry.
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(published);
  core_.system().registry().put(ptr->id(), ptr);
  uint64_t published_id = ptr->id();
  post([this, fd, published_id] {
    listeners_[fd] = listener{fd, published_id, true};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  });
  return actual;
}

void io_loop::dial(sockaddr_storage addr, socklen_t len, std::string address,
                   std::function<void(caf::expected<caf::strong_actor_ptr>)> done) {
  post([this, addr, len, address = std::move(address),
        done = std::move(done)]() mutable {
    int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      0);
    if (fd < 0) {
      done(make_error(errc::node_down, "cannot connect to " + address + ": "
                                         + std::strerror(errno)));
      return;
    }
    tune(fd);
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
    if (rc != 0 && errno != EINPROGRESS) {
      auto why = connect_failure(address, errno);
      ::close(fd);
      done(make_error(errc::node_down, why));
      return;
    }
    auto c = std::make_shared<connection>(fd, address, true,
                                          core_.settings().max_frame_size);
    c->on_ready = std::move(done);
    c->st = connection::state::connecting;
    add_connection(std::move(c));
  });
}

void io_loop::add_connection(std::shared_ptr<connection> c) {
  c->deadline = clock::now() + core_.settings().handshake_timeout;
  c->mine.nonce = make_nonce();
  auto node = core_.system().node();
  c->mine.process_id = node->implementation_id() == caf::node_id::default_data::class_id
                         ? static_cast<caf::node_id::default_data&>(*node).process_id()
                         : 0;
  if (c->mine.process_id != 0) {
    auto host = static_cast<caf::node_id::default_data&>(*node).host_id();
    std::copy(host.begin(), host.end(), c->mine.host_id.begin());
  }
  c->mine.has_secret = !core_.settings().secret.empty();
  ++unauthenticated_;
  ++unauthenticated_by_host_[host_of(c->address())];
  if (auto& tls = core_.settings().tls)
    c->use_tls(std::make_unique<tls_session>(*tls, c->dialer()));
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.fd = c->fd();
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd(), &ev);
  if (c->st != connection::state::connecting) {
    if (c->uses_tls())
      c->st = connection::state::tls; // the dialer speaks first
    else
      send_hello(*c);
  }
  conns_[c->fd()] = std::move(c);
}

std::string io_loop::host_of(const std::string& address) const {
  auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

bool io_loop::counts_as_unauthenticated(const connection& c) const {
  return c.st != connection::state::ready;
}

void io_loop::accept_all(listener& l, clock::time_point now) {
  auto& s = core_.settings();
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
          || errno == ENOMEM) {
        // Out of descriptors: back off instead of spinning on the listener.
        core_.limiter_.warning("emfile", "transport",
                               std::string{"cannot accept connections: "}
                                 + std::strerror(errno)
                                 + "; pausing accepts for 100 ms");
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l.fd, nullptr);
        l.armed = false;
        accept_resume_ = now + std::chrono::milliseconds(100);
      }
      return;
    }
    auto address = describe(addr);
    auto host = host_of(address);
    std::string refusal;
    if (conns_.size() >= s.max_connections)
      refusal = "the node has " + std::to_string(conns_.size())
                + " connections (troupe.max-connections)";
    else if (unauthenticated_ >= s.max_unauthenticated)
      refusal = std::to_string(unauthenticated_)
                + " connections are still in their handshake";
    else if (unauthenticated_by_host_[host] >= s.max_unauthenticated_per_address)
      refusal = std::to_string(unauthenticated_by_host_[host])
                + " connections from that address are still in their handshake";
    if (!refusal.empty()) {
      ::close(fd);
      ++core_.refused;
      core_.limiter_.warning("cap:" + host, "transport",
                             "refused a connection from " + address + ": "
                                 + refusal,
                             {{"peer_address", address}, {"reason", refusal}});
      continue;
    }
    tune(fd);
    auto c = std::make_shared<connection>(fd, address, false, s.max_frame_size);
    c->st = connection::state::hello_sent; // add_connection sends it
    add_connection(std::move(c));
  }
}

void io_loop::disconnect(const caf::node_id& nid, std::string why) {
  post([this, nid, why = std::move(why)] {
    std::vector<std::shared_ptr<connection>> to_close;
    for (auto& [fd, c] : conns_)
      if (c->st == connection::state::ready && c->peer_node == nid)
        to_close.push_back(c);
    for (auto& c : to_close)
      close(c, why, false);
  });
}

void io_loop::close(const std::shared_ptr<connection>& conn,
                    const std::string& why, bool refused) {
  auto c = conn; // `conn` may be the map's own entry, erased below
  if (counts_as_unauthenticated(*c)) {
    --unauthenticated_;
    auto host = host_of(c->address());
    if (--unauthenticated_by_host_[host] == 0)
      unauthenticated_by_host_.erase(host);
  }
  if (refused) {
    ++core_.refused;
    core_.limiter_.warning("refused:" + host_of(c->address()), "transport",
                           "refused " + c->address() + ": " + why,
                           {{"peer_address", c->address()},
                            {"reason", why},
                            {"phase", "handshake"}});
  } else if (c->st == connection::state::ready && !stop_) {
    // peer_node: the id the peer proved with its handshake; peer_cert: the
    // member name its certificate proves (TLS only).
    auto node = to_string(c->peer_node);
    log::info("transport", "connection to " + c->address() + " closed: " + why,
              {{"peer_address", c->address()},
               {"peer_node", node},
               {"peer_cert", c->peer_name},
               {"reason", why}});
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd(), nullptr);
  c->fail();
  auto was_ready = c->st == connection::state::ready;
  c->st = connection::state::closed;
  conns_.erase(c->fd());
  if (was_ready)
    core_.remove_route(c);
  if (c->on_ready)
    std::exchange(c->on_ready, nullptr)(
      make_error(refused ? errc::not_authenticated : errc::node_down,
                 why.find(c->address()) != std::string::npos
                   ? why
                   : c->address() + ": " + why));
}


} // namespace troupe::detail
