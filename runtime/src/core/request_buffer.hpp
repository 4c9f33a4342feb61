#pragma once
// Requests held for a receiver that cannot take them yet (a stable name whose
// child restarts, a remote child still being placed), then handed on in
// arrival order or failed together. Internal to troupe.

#include <cstddef>
#include <deque>
#include <utility>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

namespace troupe::detail {

/// A bounded FIFO of requests, each kept with the promise that answers it.
/// Handing a request on with `flush_to` delegates it: the receiver sees the
/// original sender and request id, so its reply goes straight back to the
/// caller and the holder never sees it.
class request_buffer {
public:
  static constexpr size_t default_limit = 1024;

  explicit request_buffer(size_t limit = default_limit) : limit_(limit) {
    // nop
  }

  /// Holds `msg` with the promise `rp` that answers it. Moves from both only
  /// on success: when the buffer is full it holds nothing, returns false and
  /// leaves `rp` to the caller to answer.
  [[nodiscard]] bool hold(caf::response_promise& rp, caf::message& msg);

  /// Delegates every held request to `dest`, oldest first, and empties the
  /// buffer.
  void flush_to(const caf::actor& dest);

  /// Answers every held request with `err`, oldest first, and empties the
  /// buffer. Returns how many held messages were one-way (sent without a
  /// request id), which nobody can be told about: the caller may log them.
  size_t fail_all(const caf::error& err);

  size_t size() const noexcept {
    return items_.size();
  }

  bool empty() const noexcept {
    return items_.empty();
  }

  size_t limit() const noexcept {
    return limit_;
  }

private:
  size_t limit_;
  std::deque<std::pair<caf::response_promise, caf::message>> items_;
};

inline bool request_buffer::hold(caf::response_promise& rp, caf::message& msg) {
  if (items_.size() >= limit_)
    return false;
  items_.emplace_back(std::move(rp), std::move(msg));
  return true;
}

inline void request_buffer::flush_to(const caf::actor& dest) {
  // Move the items out first: the buffer is empty and usable again before
  // the first delegated message leaves.
  auto items = std::move(items_);
  items_.clear();
  for (auto& [rp, msg] : items)
    rp.delegate(dest, std::move(msg));
}

inline size_t request_buffer::fail_all(const caf::error& err) {
  auto items = std::move(items_);
  items_.clear();
  size_t one_way = 0;
  for (auto& [rp, msg] : items) {
    if (rp.async())
      ++one_way;
    else if (rp.pending())
      rp.deliver(err);
  }
  return one_way;
}

} // namespace troupe::detail
