#include "transport/connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace troupe::detail {

connection::~connection() {
  ::close(fd_);
}

void connection::fail() {
  if (!failed_.exchange(true, std::memory_order_acq_rel))
    ::shutdown(fd_, SHUT_RDWR); // the I/O thread sees EPOLLHUP and closes
}

connection::write_result connection::write(const char* data, size_t size,
                                           size_t limit, bool defer) {
  std::unique_lock<std::mutex> guard{out_mtx_};
  if (failed())
    return write_result::closed;
  if (out_.size() + sending_.size() + size > limit && !out_.empty())
    return write_result::full;
  if (tls_) {
    // Encrypted under the lock, so records leave in the order TLS made them.
    if (!tls_->write(data, size)) {
      guard.unlock();
      fail();
      return write_result::closed;
    }
    tls_->drain(out_);
  } else {
    out_.insert(out_.end(), data, data + size);
  }
  if (writer_ != writer::idle)
    return write_result::queued; // the writer (or EPOLLOUT) takes it along
  if (defer) {
    writer_ = writer::blocked; // flush_waiting() resumes it
    blocked_.store(true, std::memory_order_release);
    return write_result::deferred;
  }
  writer_ = writer::active;
  if (!drain(guard))
    return write_result::closed;
  return writer_ == writer::blocked ? write_result::queued : write_result::done;
}

bool connection::drain(std::unique_lock<std::mutex>& guard) {
  for (;;) {
    if (out_.empty()) {
      writer_ = writer::idle;
      blocked_.store(false, std::memory_order_release);
      return true;
    }
    sending_.swap(out_);
    guard.unlock();
    size_t done = 0;
    bool broken = false;
    bool blocked = false;
    while (done < sending_.size()) {
      auto n = ::send(fd_, sending_.data() + done, sending_.size() - done,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        blocked = true;
        break;
      } else {
        broken = true;
        break;
      }
    }
    guard.lock();
    if (broken) {
      sending_.clear();
      out_.clear();
      writer_ = writer::idle;
      guard.unlock();
      fail();
      guard.lock();
      return false;
    }
    if (blocked) {
      // What is left goes first, when EPOLLOUT says the socket takes more.
      sending_.erase(sending_.begin(), sending_.begin() + done);
      sending_.insert(sending_.end(), out_.begin(), out_.end());
      out_.swap(sending_);
      sending_.clear();
      writer_ = writer::blocked;
      blocked_.store(true, std::memory_order_release);
      return true;
    }
    sending_.clear();
  }
}

bool connection::flush_waiting() {
  std::unique_lock<std::mutex> guard{out_mtx_};
  if (failed())
    return false;
  if (writer_ != writer::blocked)
    return true; // a writer is active, or nothing waits
  writer_ = writer::active;
  return drain(guard);
}

bool connection::kick(std::unique_lock<std::mutex>& guard) {
  if (writer_ != writer::idle || out_.empty())
    return true; // the writer (or EPOLLOUT) takes it along
  writer_ = writer::active;
  return drain(guard);
}

connection::tls_step connection::tls_input(const char* data, size_t size,
                                           std::string& why) {
  std::unique_lock<std::mutex> guard{out_mtx_};
  if (!tls_->feed(data, size)) {
    why = "TLS could not take the bytes read";
    return tls_step::failed;
  }
  if (tls_->established())
    return tls_step::ok;
  auto st = tls_->handshake();
  tls_->drain(out_); // handshake records, and the alert of a failure
  bool written = kick(guard);
  if (st == tls_session::status::failed) {
    why = tls_->error();
    return tls_step::failed;
  }
  if (!written) {
    why = "write failed";
    return tls_step::failed;
  }
  if (st == tls_session::status::handshaking)
    return tls_step::handshaking;
  peer_name = tls_->peer_name();
  return tls_step::established;
}

bool connection::tls_start(std::string& why) {
  std::unique_lock<std::mutex> guard{out_mtx_};
  if (tls_->handshake() == tls_session::status::failed) {
    why = tls_->error();
    return false;
  }
  tls_->drain(out_);
  if (!kick(guard)) {
    why = "write failed";
    return false;
  }
  return true;
}

long connection::tls_read(char* dst, size_t capacity, std::string& why) {
  std::unique_lock<std::mutex> guard{out_mtx_};
  auto n = tls_->read(dst, capacity);
  if (n < 0)
    why = tls_->error();
  tls_->drain(out_); // post-handshake records, if any
  if (!kick(guard)) {
    why = "write failed";
    return -1;
  }
  return n;
}

size_t connection::waiting_bytes() {
  std::lock_guard<std::mutex> guard{out_mtx_};
  return out_.size() + sending_.size();
}

} // namespace troupe::detail
