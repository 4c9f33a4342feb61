// bench_tcp_floor: the machine's floor under every cross-node figure. A
// plain TCP ping-pong on loopback between two processes (this one and a
// fork of it), one 64-byte message in flight, no actors, no serialization:
// the round trip that no runtime on this machine can beat. Two ways to wait
// for the next message, each on a fresh connection:
//   blocking    recv() sleeps in the kernel until data arrives (what CAF's
//               multiplexer and the Erlang VM do: a wake-up per message)
//   busy_poll   non-blocking recv() in a loop (no wake-up; burns a core on
//               each side, so on two cores it is the best case, not a
//               practical setting)
// Prints RESULT tcp_floor_<mode>_p50 / _p99 in microseconds (the contract
// of harness/report.hpp); run.sh sets each peer's dist_ping_pong_p50
// against it.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/options.hpp"
#include "harness/report.hpp"

namespace {

using namespace bench;

constexpr size_t message_size = 64;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void no_delay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
    fail("setsockopt(TCP_NODELAY)");
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    fail("fcntl(O_NONBLOCK)");
}

/// Reads exactly `n` bytes; busy-polls if the socket is non-blocking.
/// False on EOF.
bool read_full(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    auto r = recv(fd, buf + got, n - got, 0);
    if (r > 0)
      got += static_cast<size_t>(r);
    else if (r == 0)
      return false;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      fail("recv");
  }
  return true;
}

void write_full(int fd, const char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    auto r = send(fd, buf + done, n - done, MSG_NOSIGNAL);
    if (r > 0)
      done += static_cast<size_t>(r);
    else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      fail("send");
  }
}

/// The child: connects to `port`, answers every message with itself until
/// the parent closes the connection.
[[noreturn]] void echo_process(uint16_t port, bool busy) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  try {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      fail("connect");
    no_delay(fd);
    if (busy)
      set_nonblocking(fd);
    char buf[message_size];
    while (read_full(fd, buf, sizeof(buf)))
      write_full(fd, buf, sizeof(buf));
    _exit(0);
  } catch (std::exception& e) {
    std::cerr << "  echo process: " << e.what() << "\n";
    _exit(1);
  }
}

/// One series on a fresh connection to a fresh echo process: round trips
/// in microseconds (warm-up excluded).
std::vector<double> series(bool busy, int warmup, int rounds) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0)
    fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || listen(lfd, 1) != 0
      || getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    fail("listening on 127.0.0.1");
  auto child = fork();
  if (child < 0)
    fail("fork");
  if (child == 0) {
    close(lfd);
    echo_process(ntohs(addr.sin_port), busy);
  }
  int fd = accept(lfd, nullptr, nullptr);
  close(lfd);
  if (fd < 0)
    fail("accept");
  no_delay(fd);
  if (busy)
    set_nonblocking(fd);
  char buf[message_size];
  std::memset(buf, 'x', sizeof(buf));
  std::vector<double> us;
  us.reserve(static_cast<size_t>(rounds));
  for (int i = 0; i < warmup + rounds; ++i) {
    auto t0 = clock_type::now();
    write_full(fd, buf, sizeof(buf));
    if (!read_full(fd, buf, sizeof(buf)))
      throw std::runtime_error("the echo process closed the connection");
    if (i >= warmup)
      us.push_back(elapsed_ns(t0) / 1e3);
  }
  close(fd);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the echo process failed");
  return us;
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  if (auto code = parse(opts, "bench_tcp_floor",
                        "TCP ping-pong between two processes on loopback: the "
                        "floor of the cross-node figures",
                        argc, argv))
    return *code;
  if (!opts.caf_args.empty()) {
    std::cerr << "bench_tcp_floor: unknown option " << opts.caf_args.front()
              << "\n";
    return 2;
  }
  auto rounds = opts.size(20'000, 2'000);
  std::cerr << "TCP floor: ping-pong of " << message_size
            << "-byte messages between two processes on loopback"
            << (opts.quick ? " (quick)" : "") << "\n";
  int failures = 0;
  for (bool busy : {false, true}) {
    std::string id = busy ? "tcp_floor_busy_poll" : "tcp_floor_blocking";
    if (!opts.wants(id))
      continue;
    try {
      auto us = series(busy, 1'000, rounds);
      report(id + "_p50", percentile(us, 0.5), "us");
      report(id + "_p99", percentile(us, 0.99), "us");
    } catch (std::exception& e) {
      std::cerr << "  " << id << " FAILED: " << e.what() << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
