#include "troupe/bounded_mailbox.hpp"

#include <mutex>

#include <caf/actor_control_block.hpp>
#include <caf/system_messages.hpp>
#include <caf/mailbox_element.hpp>

#include "core/rate_limiter.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"

namespace troupe {

const char* to_string(overflow_policy p) {
  switch (p) {
    case overflow_policy::reject:
      return "reject";
    case overflow_policy::drop_newest:
      return "drop_newest";
    case overflow_policy::drop_oldest:
      return "drop_oldest";
  }
  return "unknown";
}

namespace detail {

/// The overflow metric and the rate-limited warning. Overflows happen on
/// the senders' threads (enqueue) as well as the actor's (drop_oldest):
/// the limiter is guarded by a mutex, taken only on an overflow.
struct overflow_report {
  metrics::counter* count = nullptr;
  uint64_t collector = 0; ///< reports the backlog at scrape time
  std::mutex mtx;
  rate_limiter lines{1.0, 1.0};
};

} // namespace detail

namespace {

/// Messages a full mailbox still takes: exits and downs (an overloaded
/// actor can still be stopped and learns of deaths), responses to its own
/// requests, and what it sends itself (its timers).
bool exempt(const caf::mailbox_element& x, const caf::strong_actor_ptr& self) {
  if (x.mid.is_response() || (self && x.sender == self))
    return true;
  auto& msg = x.content();
  return msg.match_elements<caf::exit_msg>()
         || msg.match_elements<caf::down_msg>();
}

} // namespace

bounded_actor::bounded_actor(caf::actor_config& cfg, mailbox_limit limit,
                             init_fn init)
  : caf::event_based_actor(cfg),
    limit_(std::move(limit)),
    init_(std::move(init)),
    report_(std::make_unique<detail::overflow_report>()) {
  if (limit_.capacity == 0)
    limit_.capacity = 1;
  report_->count = &metrics::get_counter(
    "troupe_mailbox_overflow_total",
    "messages a bounded mailbox refused or dropped because it was full",
    {{"actor", limit_.name}, {"policy", to_string(limit_.policy)}});
  // The backlog, summed over the live actors of one name, at scrape time.
  report_->collector = metrics::add_collector([this](auto& out) {
    out.push_back({"troupe_mailbox_backlog",
                   "messages waiting in bounded mailboxes, by actor name",
                   false,
                   {{"actor", limit_.name}},
                   static_cast<double>(backlog())});
  });
}

bounded_actor::~bounded_actor() {
  metrics::remove_collector(report_->collector);
}

caf::behavior bounded_actor::make_behavior() {
  return init_ ? init_(this) : caf::behavior{};
}

void bounded_actor::enqueue(caf::mailbox_element_ptr ptr,
                            caf::execution_unit* eu) {
  if (ptr && !exempt(*ptr, ctrl())) {
    auto waiting = backlog_.fetch_add(1, std::memory_order_relaxed);
    if (waiting >= limit_.capacity) {
      switch (limit_.policy) {
        case overflow_policy::reject:
          backlog_.fetch_sub(1, std::memory_order_relaxed);
          overflow(*ptr, true);
          return;
        case overflow_policy::drop_newest:
          backlog_.fetch_sub(1, std::memory_order_relaxed);
          overflow(*ptr, false);
          return;
        case overflow_policy::drop_oldest:
          // Taken; the actor drops the oldest waiting one when it gets to
          // it (only the actor may take from its mailbox).
          to_drop_.fetch_add(1, std::memory_order_relaxed);
          break;
      }
    }
  }
  caf::event_based_actor::enqueue(std::move(ptr), eu);
}

caf::invoke_message_result bounded_actor::consume(caf::mailbox_element& x) {
  if (exempt(x, ctrl()))
    return caf::event_based_actor::consume(x);
  auto drops = to_drop_.load(std::memory_order_relaxed);
  while (drops > 0
         && !to_drop_.compare_exchange_weak(drops, drops - 1,
                                            std::memory_order_relaxed))
    ; // retry with the value another thread left
  if (drops > 0) {
    backlog_.fetch_sub(1, std::memory_order_relaxed);
    overflow(x, true);
    return caf::invoke_message_result::dropped;
  }
  // Taken: it no longer waits (while the actor handles it, it leaves room
  // for one more). A skipped message waits on and counts again.
  backlog_.fetch_sub(1, std::memory_order_relaxed);
  auto result = caf::event_based_actor::consume(x);
  if (result == caf::invoke_message_result::skipped)
    backlog_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

void bounded_actor::overflow(caf::mailbox_element& x, bool answer) {
  overflowed_.fetch_add(1, std::memory_order_relaxed);
  report_->count->add();
  // (CAF's sync_request_bouncer answers with request_receiver_down
  // whatever reason it is given: the error is sent here instead.)
  if (answer && x.mid.is_request() && x.sender)
    x.sender->enqueue(ctrl(), x.mid.response_id(),
                      caf::make_message(make_error(
                        errc::mailbox_full,
                        "the mailbox of " + limit_.name + " holds "
                          + std::to_string(limit_.capacity) + " messages")),
                      nullptr);
  std::unique_lock<std::mutex> guard{report_->mtx};
  if (!report_->lines.allow())
    return;
  auto note = report_->lines.suppressed_note();
  guard.unlock();
  log::warning("mailbox", "the mailbox of " + limit_.name + " is full ("
                            + std::to_string(limit_.capacity)
                            + " messages, policy "
                            + to_string(limit_.policy) + "): "
                            + (limit_.policy == overflow_policy::drop_oldest
                                 ? "dropped the oldest waiting message"
                                 : "refused a new message")
                            + note);
}

} // namespace troupe
