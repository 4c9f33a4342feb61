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

#include "transport/socket_util.hpp"
#include "transport/transport_core.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

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
