#pragma once
// One TCP connection to a peer: its handshake state, the frames read from
// it and the bytes waiting to be written. Reading and the handshake belong
// to the I/O thread; writing may happen on any thread (write()).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/expected.hpp>
#include <caf/node_id.hpp>

#include "transport/inbound_budget.hpp"
#include "transport/peer_traffic.hpp"
#include "transport/tls.hpp"
#include "transport/wire.hpp"

namespace troupe::detail {

class connection {
public:
  // tls: the TLS handshake runs; the hello is sent once it is complete.
  enum class state { connecting, tls, hello_sent, proof_sent, ready, closed };

  connection(int fd, std::string address, bool dialer, uint32_t max_frame)
    : fd_(fd), address_(std::move(address)), dialer_(dialer),
      reader_(static_cast<uint32_t>(wire::hello_size)),
      max_frame_(max_frame) {
  }

  /// Closes the socket: only here, so that no thread writes to a reused fd.
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  int fd() const {
    return fd_;
  }
  const std::string& address() const {
    return address_;
  }
  bool dialer() const {
    return dialer_;
  }

  /// Outcome of write(); `deferred`: the caller hands the connection to
  /// the I/O thread, which writes it (io_loop::defer_flush).
  enum class write_result { done, queued, deferred, full, closed };

  /// Appends a whole frame and writes what the socket takes now, unless
  /// another thread is writing (it takes these bytes too) or `defer` asks
  /// to leave the write to the I/O thread, which is awake and batches what
  /// several senders queued into one send. `limit` bounds the bytes
  /// waiting; a frame that does not fit is refused whole.
  write_result write(const char* data, size_t size, size_t limit,
                     bool defer = false);

  /// The socket can take more (EPOLLOUT): writes what waits. Returns false
  /// when the connection broke.
  bool flush_waiting();

  /// Whether bytes wait for the socket to take more (EPOLLOUT).
  bool blocked() const {
    return blocked_.load(std::memory_order_acquire);
  }

  /// Bytes waiting to be written.
  size_t waiting_bytes();

  // -- TLS (tls.hpp): frames are encrypted by write() ------------------------

  /// From now on everything written and read goes through `session`.
  void use_tls(std::unique_ptr<tls_session> session) {
    tls_ = std::move(session);
  }
  bool uses_tls() const {
    return tls_ != nullptr;
  }

  /// Outcome of tls_input().
  enum class tls_step { handshaking, established, ok, failed };

  /// I/O thread: ciphertext read from the socket; runs the handshake as far
  /// as it goes and writes what TLS answers. `why` says why it failed.
  tls_step tls_input(const char* data, size_t size, std::string& why);

  /// I/O thread: the dialer's first handshake record.
  bool tls_start(std::string& why);

  /// I/O thread: decrypted bytes, at most `capacity`; 0 when none is ready,
  /// -1 if the stream broke (`why` says how).
  long tls_read(char* dst, size_t capacity, std::string& why);

  /// The member name the peer's certificate proves (TLS), else empty.
  std::string peer_name;

  /// What the peer's messages hold in local mailboxes (set at the end of
  /// the handshake, before the connection is routed).
  std::shared_ptr<inbound_budget> inbound;

  /// The peer node's counters (transport_core::add_route sets it, under
  /// the core's lock, before any other thread can reach the connection);
  /// null until the handshake completes.
  std::shared_ptr<peer_traffic> traffic;

  /// Marks the connection broken; the I/O thread closes it.
  void fail();
  bool failed() const {
    return failed_.load(std::memory_order_acquire);
  }

  // -- I/O thread only -----------------------------------------------------

  state st = state::connecting;
  wire::frame_reader& reader() {
    return reader_;
  }
  /// After the handshake frames may be as large as the configured limit.
  void authenticated() {
    reader_.max_frame_size(max_frame_);
  }

  wire::hello mine;
  wire::hello theirs;
  caf::node_id peer_node;
  std::chrono::steady_clock::time_point deadline;
  std::function<void(caf::expected<caf::strong_actor_ptr>)> on_ready;
  uint64_t reads = 0; // reads that returned bytes

private:
  /// Writes from `out_` until it is empty or the socket is full; called with
  /// the write token (writer_ == active) and `guard` locked.
  bool drain(std::unique_lock<std::mutex>& guard);
  /// With out_mtx_ held: writes what TLS queued, unless a writer is at it.
  bool kick(std::unique_lock<std::mutex>& guard);

  // idle: nobody writes; active: a thread writes (others only append);
  // blocked: the socket is full, the I/O thread resumes on EPOLLOUT.
  enum class writer { idle, active, blocked };

  int fd_;
  std::string address_;
  bool dialer_;
  wire::frame_reader reader_;
  uint32_t max_frame_;

  std::mutex out_mtx_;
  std::vector<char> out_;      // waiting to be written
  std::vector<char> sending_;  // being written by the token holder
  writer writer_ = writer::idle;
  std::unique_ptr<tls_session> tls_; // used with out_mtx_ held
  std::atomic<bool> blocked_{false};
  std::atomic<bool> failed_{false};
};

} // namespace troupe::detail
