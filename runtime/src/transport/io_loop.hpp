#pragma once
// The transport's I/O thread: one epoll set with the listening sockets and
// every connection. It accepts (within the connection caps), runs the
// handshake, reads frames and hands them to transport_core::dispatch, and
// resumes writes the socket could not take at once. After its last event it
// polls for `troupe.transport-spin` before it sleeps, so that a reply that
// arrives within that time costs no wake-up.

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "transport/connection.hpp"

namespace troupe::detail {

class transport_core;

class io_loop {
public:
  explicit io_loop(transport_core& core);
  ~io_loop();

  void start();
  void stop();

  /// Binds and listens (on the caller's thread); the I/O thread accepts.
  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 const caf::actor& published);

  /// Connects to a resolved address on the I/O thread.
  void dial(sockaddr_storage addr, socklen_t len, std::string address,
            std::function<void(caf::expected<caf::strong_actor_ptr>)> done);

  /// Closes every connection to node `nid` (on the I/O thread): its
  /// proxies end with remote_link_unreachable, as when the peer went away.
  void disconnect(const caf::node_id& nid, std::string why);

  /// A writer found the socket full: make sure EPOLLOUT resumes it.
  void wake_for_write(const std::shared_ptr<connection>&) {
    blocked_writers_.store(true, std::memory_order_release);
  }

  /// Whether the I/O thread is polling (awake): then a sender leaves its
  /// write to it instead of making a system call of its own.
  bool spinning() const {
    return spinning_.load(std::memory_order_relaxed);
  }

  /// `c` has deferred bytes (write_result::deferred): the I/O thread
  /// writes them on its next round, woken if it has gone to sleep.
  void defer_flush(std::shared_ptr<connection> c);

private:
  using clock = std::chrono::steady_clock;

  static constexpr size_t read_chunk = 64 * 1024;
  static constexpr size_t read_budget = 1 << 20; // per connection and wake-up
  static constexpr auto tick_period = std::chrono::milliseconds(20);

  struct listener {
    int fd;
    uint64_t published;
    bool armed = true;
  };

  void run();
  void post(std::function<void()> f);
  void run_posted();
  void tick(clock::time_point now);

  void accept_all(listener& l, clock::time_point now);
  void add_connection(std::shared_ptr<connection> c);
  /// Reads what the socket has (up to a budget); false if it must close.
  bool read_some(connection& c, bool& more);
  /// Handles the complete frames c's reader holds; false if c was closed.
  bool take_frames(connection& c);
  /// Decrypts what a TLS connection read and handles its frames.
  bool take_ciphertext(connection& c, const char* data, size_t size);
  bool on_handshake_frame(const std::shared_ptr<connection>& c, uint8_t kind,
                          const char* payload, size_t size);
  void send_hello(connection& c);
  void close(const std::shared_ptr<connection>& c, const std::string& why,
             bool refused);
  bool counts_as_unauthenticated(const connection& c) const;
  std::string host_of(const std::string& address) const;

  transport_core& core_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> blocked_writers_{false};

  void flush_deferred();
  void wake();

  std::atomic<bool> spinning_{false};
  std::atomic<uint64_t> deferred_count_{0};
  std::mutex deferred_mtx_;
  std::vector<std::shared_ptr<connection>> deferred_;

  std::mutex posted_mtx_;
  std::vector<std::function<void()>> posted_;

  // I/O thread only (and listen() before the thread sees the listener).
  std::mutex listeners_mtx_;
  std::unordered_map<int, listener> listeners_;
  std::unordered_map<int, std::shared_ptr<connection>> conns_;
  std::unordered_map<std::string, size_t> unauthenticated_by_host_;
  size_t unauthenticated_ = 0;
  std::vector<int> read_again_;
  std::vector<char> cipher_in_; // what a TLS connection read, before decryption
  clock::time_point accept_resume_{};
  clock::time_point next_tick_{};
};

} // namespace troupe::detail
