#pragma once
// Receiver-side backpressure (issue 13, item 5): the bytes of messages one
// connection has put into local mailboxes that their actors have not
// handled yet. A message counts from its delivery until its mailbox element
// is destroyed (the actor handled it, or dropped it). Past the limit
// (troupe.max-inbound-bytes) the transport drops what that peer sends
// (requests get peer_overloaded at once), except to protected actors (the
// agent, whose heartbeats must flow): a producer faster than its consumer
// then costs the receiver at most the limit, not memory without end.

#include <atomic>
#include <cstddef>
#include <memory>

#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>
#include <caf/type_erased_tuple.hpp>

namespace troupe::detail {

struct inbound_budget {
  explicit inbound_budget(size_t max) : limit(max) {
  }
  /// Whether `size` more bytes fit.
  bool fits(size_t size) const {
    return bytes.load(std::memory_order_relaxed) + size <= limit;
  }
  std::atomic<size_t> bytes{0};
  const size_t limit;
};

/// A mailbox element that gives its bytes back to `budget` when destroyed.
class counted_element final : public caf::mailbox_element {
public:
  counted_element(caf::strong_actor_ptr sender, caf::message_id mid,
                  caf::message content, std::shared_ptr<inbound_budget> budget,
                  size_t size)
    : caf::mailbox_element(std::move(sender), mid, forwarding_stack{}),
      content_(std::move(content)),
      budget_(std::move(budget)),
      size_(size) {
    budget_->bytes.fetch_add(size_, std::memory_order_relaxed);
  }

  ~counted_element() override {
    budget_->bytes.fetch_sub(size_, std::memory_order_relaxed);
  }

  caf::type_erased_tuple& content() override {
    if (content_.empty())
      return empty_;
    return content_.content();
  }
  const caf::type_erased_tuple& content() const override {
    if (content_.empty())
      return empty_;
    return content_.content();
  }
  caf::message move_content_to_message() override {
    return std::move(content_);
  }
  caf::message copy_content_to_message() const override {
    return content_;
  }

private:
  caf::message content_;
  std::shared_ptr<inbound_budget> budget_;
  size_t size_;
  mutable caf::empty_type_erased_tuple empty_;
};

} // namespace troupe::detail
