#pragma once
// Bounded mailboxes for actors that face the network (issue 15, item 7).
//
// A CAF mailbox is unbounded: a peer that sends faster than an actor
// handles grows the receiver's memory without end. An actor spawned with
// spawn_bounded holds at most `capacity` waiting messages; what happens to
// one more is the policy's:
//
//   reject       the new message is refused: a request is answered at once
//                with errc::mailbox_full (the sender's response handler
//                gets the error, as for any failed request); an
//                asynchronous message is dropped.
//   drop_newest  the new message is dropped without an answer (a request's
//                sender then sees its own deadline pass).
//   drop_oldest  the new message is taken and the oldest waiting one is
//                dropped when the actor gets to it (a request among them is
//                answered with errc::mailbox_full).
//
// The backlog is exported as troupe_mailbox_backlog{actor} (summed over the
// live actors of one name). Nothing is dropped silently: every refused or
// dropped message counts in troupe_mailbox_overflow_total{actor, policy},
// and a warning (at most one
// a second per actor, with how many it stands for) names the actor, its
// capacity and the policy. System messages (exit, down, the responses to
// the actor's own requests) are never refused or dropped: an overloaded
// actor can still be stopped, and its requests still complete; they count
// towards the backlog but may take it past `capacity`.
//
// The count is exact for messages that pass through the mailbox; the
// overhead is one atomic increment on enqueue and one decrement when the
// actor takes the message. Messages the actor skips (CAF's `skip`) stay
// counted until it handles them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

namespace troupe {

/// What a full bounded mailbox does with one more message.
enum class overflow_policy : uint8_t { reject, drop_newest, drop_oldest };

/// "reject", "drop_newest", "drop_oldest".
const char* to_string(overflow_policy p);

/// The bound of an actor's mailbox.
struct mailbox_limit {
  /// Most waiting messages (at least 1).
  size_t capacity = 1024;
  overflow_policy policy = overflow_policy::reject;
  /// The actor's name in the overflow metric and log line (e.g. its type).
  std::string name = "bounded";
};

namespace detail {
struct overflow_report;
} // namespace detail

/// An event-based actor with a bounded mailbox: `init` gives its behavior.
/// Spawn it with spawn_bounded rather than by hand.
class bounded_actor : public caf::event_based_actor {
public:
  using init_fn = std::function<caf::behavior(caf::event_based_actor*)>;

  bounded_actor(caf::actor_config& cfg, mailbox_limit limit, init_fn init);
  ~bounded_actor() override;

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override;

  /// Messages waiting (enqueued, not yet taken by the actor).
  size_t backlog() const noexcept {
    return backlog_.load(std::memory_order_relaxed);
  }
  /// Messages refused or dropped so far.
  uint64_t overflowed() const noexcept {
    return overflowed_.load(std::memory_order_relaxed);
  }

protected:
  caf::behavior make_behavior() override;
  caf::invoke_message_result consume(caf::mailbox_element& x) override;

private:
  void overflow(caf::mailbox_element& x, bool answer);

  mailbox_limit limit_;
  init_fn init_;
  std::atomic<size_t> backlog_{0};
  std::atomic<size_t> to_drop_{0};
  std::atomic<uint64_t> overflowed_{0};
  std::unique_ptr<detail::overflow_report> report_;
};

/// Spawns `fun(self, xs...)` (a function returning the behavior of an
/// event-based actor) with a mailbox bounded by `limit`.
///
///   auto a = troupe::spawn_bounded(sys, {.capacity = 1000,
///                                        .name = "ingest"}, ingest, db);
template <class F, class... Ts>
caf::actor spawn_bounded(caf::actor_system& sys, mailbox_limit limit, F fun,
                         Ts&&... xs) {
  bounded_actor::init_fn init
    = [fun = std::move(fun),
       args = std::make_tuple(std::forward<Ts>(xs)...)](
        caf::event_based_actor* self) mutable -> caf::behavior {
    return std::apply([&](auto&... ys) { return fun(self, ys...); }, args);
  };
  return sys.spawn<bounded_actor>(std::move(limit), std::move(init));
}

} // namespace troupe
