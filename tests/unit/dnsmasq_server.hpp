#pragma once
// A real DNS server for the tests of dns: and srv: seeds: Debian's dnsmasq
// (dnsmasq-base) on 127.0.0.1 at an ephemeral UDP port, serving only the
// records a test gives it (no upstream, no /etc/hosts). Tests SKIP (WARN
// and return) when it cannot start: no dnsmasq installed, or no sockets.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace troupe::test {

/// A port the kernel had free a moment ago (bound, read, closed): UDP for
/// the DNS server, TCP for nodes that need a fixed port in SRV records.
inline uint16_t free_port(int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

/// `n` distinct free TCP ports on 127.0.0.1 (held open together while
/// they are picked, so that they differ).
inline std::vector<uint16_t> free_tcp_ports(size_t n) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0
        || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0)
        ::close(fd);
      break;
    }
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds)
    ::close(fd);
  return ports;
}

class dnsmasq_server {
public:
  dnsmasq_server() = default;
  dnsmasq_server(const dnsmasq_server&) = delete;
  dnsmasq_server& operator=(const dnsmasq_server&) = delete;

  ~dnsmasq_server() {
    stop();
  }

  /// Starts dnsmasq with `records` (--host-record=..., --srv-host=...);
  /// nothing on success, else why it could not start. Tries two ports (the
  /// one picked may be taken between the pick and dnsmasq's bind).
  std::optional<std::string> start(const std::vector<std::string>& records,
                                   const std::string& pid_dir = "/tmp") {
    std::optional<std::string> err;
    for (int attempt = 0; attempt < 2; ++attempt) {
      err = start_once(records, pid_dir);
      if (!err)
        return std::nullopt;
    }
    return err;
  }

  /// Starts it again on the same port with other records (dnsmasq reads
  /// --host-record and --srv-host only at start): a record added later.
  std::optional<std::string> restart(const std::vector<std::string>& records) {
    auto port = port_;
    stop();
    return start_once(records, pid_dir_, port);
  }

  uint16_t port() const {
    return port_;
  }

  /// "127.0.0.1:PORT", for --troupe.dns-server.
  std::string address() const {
    return "127.0.0.1:" + std::to_string(port_);
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (out_ >= 0) {
      ::close(out_);
      out_ = -1;
    }
  }

private:
  std::optional<std::string> start_once(const std::vector<std::string>& records,
                                        const std::string& pid_dir,
                                        uint16_t port = 0) {
    stop();
    pid_dir_ = pid_dir;
    port_ = port != 0 ? port : free_port(SOCK_DGRAM);
    if (port_ == 0)
      return std::string{"no free UDP port on 127.0.0.1"};
    // TROUPE_TEST_DNSMASQ names another binary (or a missing one, to see
    // the tests skip).
    const char* binary = std::getenv("TROUPE_TEST_DNSMASQ");
    if (binary == nullptr)
      binary = ::access("/usr/sbin/dnsmasq", X_OK) == 0 ? "/usr/sbin/dnsmasq"
                                                        : "dnsmasq";
    std::vector<std::string> args = {binary,
                                     "--no-daemon",
                                     "--conf-file=/dev/null",
                                     "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--log-facility=-",
                                     "--pid-file=" + pid_dir + "/dnsmasq-"
                                         + std::to_string(port_) + ".pid"};
    if (::geteuid() == 0)
      args.push_back("--user=root"); // no drop to nobody: it may not exist
    args.insert(args.end(), records.begin(), records.end());
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
      return std::string{"pipe: "} + std::strerror(errno);
    // Built before the fork: the child of a threaded process may only call
    // async-signal-safe functions (no malloc) until it execs.
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 2);
      ::dup2(pipe_fds[1], 1);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    out_ = pipe_fds[0];
    if (pid_ < 0)
      return std::string{"fork: "} + std::strerror(errno);
    // dnsmasq says "started" once it listens, or why it could not.
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (text.find("started, version") != std::string::npos)
        return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      char buf[1024];
      auto n = ::read(out_, buf, sizeof(buf));
      if (n <= 0)
        break; // exited
      text.append(buf, static_cast<size_t>(n));
    }
    stop();
    return "dnsmasq did not start (" + std::string{binary} + "): "
           + (text.empty() ? std::string{"no output (not installed? Debian "
                                         "package dnsmasq-base)"}
                           : text);
  }

  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  std::string pid_dir_ = "/tmp";
};

} // namespace troupe::test
