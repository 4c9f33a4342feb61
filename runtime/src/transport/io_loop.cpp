#include "transport/io_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <caf/actor_registry.hpp>

#include "transport/handshake.hpp"
#include "transport/transport_core.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

constexpr size_t read_chunk = 64 * 1024;
constexpr size_t read_budget = 1 << 20; // per connection and wake-up
constexpr auto tick_period = std::chrono::milliseconds(20);

std::string describe(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    port = ntohs(in.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto& in = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in.sin6_addr, text, sizeof(text));
    port = ntohs(in.sin6_port);
  }
  return std::string{text} + ":" + std::to_string(port);
}

std::string connect_failure(const std::string& address, int err) {
  if (err == ECONNREFUSED)
    return "nothing listens on " + address + " (connection refused)";
  return "cannot connect to " + address + ": " + std::strerror(err);
}

void tune(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

} // namespace

io_loop::io_loop(transport_core& core) : core_(core), cipher_in_(read_chunk) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

io_loop::~io_loop() {
  stop();
  for (auto& [fd, l] : listeners_)
    ::close(fd);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void io_loop::start() {
  thread_ = std::thread{[this] { run(); }};
}

void io_loop::stop() {
  if (stop_.exchange(true))
    return;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable())
    thread_.join();
  for (auto& [fd, c] : conns_) {
    c->fail();
    core_.remove_route(c);
    if (c->on_ready)
      std::exchange(c->on_ready, nullptr)(
        make_error(errc::node_down, "the transport stopped"));
  }
  conns_.clear();
}

void io_loop::post(std::function<void()> f) {
  {
    std::lock_guard<std::mutex> guard{posted_mtx_};
    posted_.push_back(std::move(f));
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void io_loop::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void io_loop::defer_flush(std::shared_ptr<connection> c) {
  {
    std::lock_guard<std::mutex> guard{deferred_mtx_};
    deferred_.push_back(std::move(c));
  }
  deferred_count_.fetch_add(1, std::memory_order_seq_cst);
  // Pairs with run(): it clears spinning_ and then looks at deferred_count_,
  // so either it sees this connection or this sees it asleep.
  if (!spinning_.load(std::memory_order_seq_cst))
    wake();
}

void io_loop::flush_deferred() {
  std::vector<std::shared_ptr<connection>> batch;
  {
    std::lock_guard<std::mutex> guard{deferred_mtx_};
    batch.swap(deferred_);
  }
  for (auto& c : batch) {
    if (!c->flush_waiting() && c->st != connection::state::closed) {
      auto it = conns_.find(c->fd());
      if (it != conns_.end() && it->second == c)
        close(c, "write failed", false);
    }
    if (c->blocked())
      blocked_writers_.store(true, std::memory_order_release);
  }
}

void io_loop::run_posted() {
  uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof(count));
  std::vector<std::function<void()>> jobs;
  {
    std::lock_guard<std::mutex> guard{posted_mtx_};
    jobs.swap(posted_);
  }
  for (auto& job : jobs)
    job();
}

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

void io_loop::send_hello(connection& c) {
  std::vector<char> buf;
  c.mine.published_actor = 0;
  if (!c.dialer())
    for (auto& [fd, l] : listeners_)
      c.mine.published_actor = l.published;
  wire::encode(buf, c.mine);
  c.write(buf.data(), buf.size(), buf.size() + 1);
  c.st = connection::state::hello_sent;
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
                               + refusal);
      continue;
    }
    tune(fd);
    auto c = std::make_shared<connection>(fd, address, false, s.max_frame_size);
    c->st = connection::state::hello_sent; // add_connection sends it
    add_connection(std::move(c));
  }
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
                           "refused " + c->address() + ": " + why);
  } else if (c->st == connection::state::ready && !stop_) {
    log::info("transport", "connection to " + c->address() + " closed: " + why);
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

bool io_loop::take_frames(connection& c) {
  // Frames are handled as they complete, so the buffer holds at most one
  // partial frame plus a chunk.
  wire::header hdr;
  const char* payload = nullptr;
  std::string why;
  for (;;) {
    auto r = c.reader().next(hdr, payload, why);
    if (r == wire::frame_reader::result::need_more)
      return true;
    if (r == wire::frame_reader::result::error) {
      bool handshake = c.st != connection::state::ready;
      close(conns_.at(c.fd()), handshake ? "in its handshake, " + why : why,
            handshake);
      return false;
    }
    if (c.st == connection::state::ready) {
      if (!wire::is_data_kind(hdr.kind)) {
        close(conns_.at(c.fd()), "handshake frame after the handshake", false);
        return false;
      }
      ++core_.frames_in;
      core_.dispatch(c, hdr, payload);
    } else if (!on_handshake_frame(conns_.at(c.fd()), hdr.kind, payload,
                                   hdr.length)) {
      return false;
    }
  }
}

bool io_loop::take_ciphertext(connection& c, const char* data, size_t size) {
  std::string why;
  auto step = c.tls_input(data, size, why);
  if (step == connection::tls_step::failed) {
    bool handshake = c.st != connection::state::ready;
    close(conns_.at(c.fd()),
          handshake ? "TLS handshake failed: " + why
                        + (c.reads == 0 && data[0] != 0x16
                             ? " (the peer does not speak TLS: give every "
                               "node --troupe.tls-cert, -key and -ca)"
                             : "")
                    : "TLS: " + why,
          handshake);
    return false;
  }
  ++c.reads;
  if (step == connection::tls_step::established) {
    c.st = connection::state::hello_sent;
    send_hello(c);
  }
  for (;;) {
    auto* dst = c.reader().reserve(read_chunk);
    auto n = c.tls_read(dst, read_chunk, why);
    if (n < 0) {
      close(conns_.at(c.fd()), "TLS: " + why, c.st != connection::state::ready);
      return false;
    }
    if (n == 0)
      return true;
    c.reader().commit(static_cast<size_t>(n));
    if (!take_frames(c))
      return false;
  }
}

bool io_loop::read_some(connection& c, bool& more) {
  more = false;
  size_t total = 0;
  for (;;) {
    char* dst = c.uses_tls() ? cipher_in_.data() : c.reader().reserve(read_chunk);
    auto n = ::recv(c.fd(), dst, read_chunk, MSG_DONTWAIT);
    if (n > 0) {
      core_.bytes_in += static_cast<uint64_t>(n);
      total += static_cast<size_t>(n);
      if (c.uses_tls()) {
        if (!take_ciphertext(c, dst, static_cast<size_t>(n)))
          return false;
      } else {
        if (c.reads == 0 && c.st != connection::state::ready
            && dst[0] == 0x16) {
          // 0x16 opens a TLS record; no troupe frame starts so.
          close(conns_.at(c.fd()),
                "the peer speaks TLS and this node has no TLS configuration "
                "(--troupe.tls-cert, -key and -ca)",
                true);
          return false;
        }
        ++c.reads;
        c.reader().commit(static_cast<size_t>(n));
        if (!take_frames(c))
          return false;
      }
      if (total >= read_budget) {
        more = true; // let the other connections have their turn
        return true;
      }
      continue;
    }
    if (n == 0) {
      close(conns_.at(c.fd()),
            c.st == connection::state::ready
              ? "the peer closed it"
              : "the peer closed it during the handshake (does it expect "
                "TLS or a cluster secret this process lacks?)",
            false);
      return false;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return true;
    close(conns_.at(c.fd()), std::strerror(errno), false);
    return false;
  }
}

bool io_loop::on_handshake_frame(const std::shared_ptr<connection>& c,
                                 uint8_t kind, const char* payload,
                                 size_t size) {
  auto& secret = core_.settings().secret;
  if (c->st == connection::state::hello_sent
      && kind == static_cast<uint8_t>(wire::kind::hello)) {
    std::string why;
    auto theirs = wire::decode_hello(payload, size, why);
    if (!theirs) {
      close(c, why, true);
      return false;
    }
    if (theirs->has_secret != !secret.empty()) {
      close(c,
            secret.empty()
              ? "the peer uses a cluster secret and this node has none "
                "(--troupe.cookie-file)"
              : "the peer has no cluster secret (--troupe.cookie-file)",
            true);
      return false;
    }
    c->theirs = *theirs;
    c->peer_node = caf::make_node_id(theirs->process_id, theirs->host_id);
    if (c->peer_node == core_.system().node()) {
      close(c, "a connection to this node itself", true);
      return false;
    }
    std::vector<char> buf;
    auto at = wire::begin_frame(buf, wire::kind::proof);
    if (!secret.empty()) {
      auto mac = make_proof(secret, c->mine, c->theirs, c->dialer());
      buf.insert(buf.end(), mac.begin(), mac.end());
    }
    wire::end_frame(buf, at);
    c->write(buf.data(), buf.size(), buf.size() + 1);
    c->st = connection::state::proof_sent;
    return true;
  }
  if (c->st == connection::state::proof_sent
      && kind == static_cast<uint8_t>(wire::kind::proof)) {
    bool ok = secret.empty()
                ? size == 0
                : check_proof(secret, c->theirs, c->mine, !c->dialer(),
                              payload, size);
    if (!ok) {
      close(c, "wrong proof of the cluster secret", true);
      return false;
    }
    if (std::string why; !core_.add_route(c, why)) {
      close(c, why, true);
      return false;
    }
    c->st = connection::state::ready;
    c->inbound = std::make_shared<inbound_budget>(
      core_.settings().max_inbound_bytes);
    c->authenticated();
    --unauthenticated_;
    auto host = host_of(c->address());
    if (--unauthenticated_by_host_[host] == 0)
      unauthenticated_by_host_.erase(host);
    ++core_.connections_made;
    if (c->on_ready) {
      auto done = std::exchange(c->on_ready, nullptr);
      if (c->theirs.published_actor == 0)
        done(make_error(errc::node_down,
                        c->address() + " publishes no actor"));
      else
        done(core_.proxies().get_or_put(
          c->peer_node, static_cast<caf::actor_id>(c->theirs.published_actor)));
    }
    return true;
  }
  close(c, "unexpected frame (kind " + std::to_string(kind)
             + ") during the handshake",
        true);
  return false;
}

void io_loop::tick(clock::time_point now) {
  next_tick_ = now + tick_period;
  std::vector<std::shared_ptr<connection>> late;
  for (auto& [fd, c] : conns_)
    if (c->st != connection::state::ready && now >= c->deadline)
      late.push_back(c);
  for (auto& c : late)
    close(c, "no handshake within "
               + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  core_.settings().handshake_timeout)
                                  .count())
               + " ms (troupe.handshake-timeout)",
          c->st != connection::state::connecting);
  if (blocked_writers_.exchange(false)) {
    for (auto& [fd, c] : conns_)
      if (c->blocked() && !c->flush_waiting())
        late.push_back(c);
    for (auto& [fd, c] : conns_)
      if (c->blocked())
        blocked_writers_.store(true);
  }
  if (accept_resume_ != clock::time_point{} && now >= accept_resume_) {
    accept_resume_ = {};
    for (auto& [fd, l] : listeners_)
      if (!l.armed) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
        l.armed = true;
      }
  }
  core_.expire_waiting(now);
}

void io_loop::run() {
  constexpr int max_events = 64;
  epoll_event events[max_events];
  auto spin = core_.settings().spin;
  auto last_event = clock::now();
  while (!stop_) {
    auto now = clock::now();
    int timeout = 0;
    if (read_again_.empty() && now - last_event >= spin) {
      // Going to sleep: senders write themselves from now on, and what one
      // deferred just before is flushed first (see defer_flush).
      spinning_.store(false, std::memory_order_seq_cst);
      if (deferred_count_.exchange(0, std::memory_order_seq_cst) == 0) {
        timeout = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(next_tick_ - now)
            .count());
        timeout = std::clamp(timeout, 0, 20);
      } else {
        last_event = now;
      }
    } else {
      spinning_.store(true, std::memory_order_relaxed);
      if (deferred_count_.exchange(0, std::memory_order_relaxed) != 0)
        last_event = now;
    }
    flush_deferred();
    int n = ::epoll_wait(epoll_fd_, events, max_events, timeout);
    now = clock::now();
    if (n > 0)
      last_event = now;
    auto again = std::move(read_again_);
    read_again_.clear();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        run_posted();
        continue;
      }
      if (auto l = listeners_.find(fd); l != listeners_.end()) {
        accept_all(l->second, now);
        continue;
      }
      auto it = conns_.find(fd);
      if (it == conns_.end())
        continue;
      auto c = it->second;
      auto ev = events[i].events;
      if (c->st == connection::state::connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          close(c, connect_failure(c->address(), err), false);
          continue;
        }
        if (!c->uses_tls()) {
          send_hello(*c);
        } else if (std::string why; !c->tls_start(why)) {
          close(c, "TLS: " + why, false);
          continue;
        } else {
          c->st = connection::state::tls;
        }
      }
      if ((ev & EPOLLOUT) && c->blocked() && !c->flush_waiting()) {
        close(c, "write failed", false);
        continue;
      }
      if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        bool more = false;
        if (read_some(*c, more) && more)
          read_again_.push_back(fd);
        continue;
      }
      if (c->failed())
        close(c, "write failed", false);
    }
    for (int fd : again) {
      auto it = conns_.find(fd);
      if (it == conns_.end())
        continue;
      auto c = it->second;
      bool more = false;
      if (read_some(*c, more) && more)
        read_again_.push_back(fd);
    }
    flush_deferred();
    if (now >= next_tick_)
      tick(now);
  }
  spinning_.store(false);
}

} // namespace troupe::detail
