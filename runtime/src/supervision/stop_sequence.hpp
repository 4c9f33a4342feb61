#pragma once
// The asynchronous, ordered stop of a supervisor's children (OTP's
// terminate_children): one child at a time, each asked with user_shutdown
// and killed when it outlives its shutdown timeout, or killed at once for
// brutal_kill. Internal to troupe.

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/behavior.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/message_handler.hpp>
#include <caf/timespan.hpp>

namespace troupe::detail {

/// Stops children of one actor in a given order, waiting for each child's
/// down message before it asks the next one.
///
/// While a sequence runs, the actor answers only what `meanwhile` handles
/// (queries that are safe on a half-stopped set of children) and the
/// sequence's own timer; every other message waits in the mailbox. That is
/// CAF's own deferral: the sequence pushes a behavior with
/// `become(keep_behavior, ...)` whose default handler returns `caf::skip`,
/// so CAF keeps the message in the mailbox's cache and offers it again after
/// the next message the actor handles, i.e. to the original behavior once
/// the sequence has popped its own with `unbecome()`. Skipped messages keep
/// their place, sender and request id.
class stop_sequence {
public:
  /// A child about to be stopped: an invalid handle means it is gone
  /// already and is skipped.
  struct child_ref {
    caf::actor handle;
    caf::timespan shutdown_timeout;
  };

  /// What the sequence needs from the actor that owns the children.
  struct hooks {
    /// Used in log lines (the supervisor's name).
    std::string owner;
    /// Looks up child `id` when its turn comes.
    std::function<child_ref(const std::string& id)> find;
    /// Runs right before child `id` is asked to stop.
    std::function<void(const std::string& id)> stopping;
    /// Runs when a sequence ended and its continuation started no other.
    std::function<void()> idle;
    /// Handlers that stay active while a sequence runs.
    caf::message_handler meanwhile;
  };

  /// Binds the sequence to `self`; call once, before the first `run`.
  void init(caf::event_based_actor* self, hooks hs);

  /// The handler of the sequence's timer. Add it to the actor's behavior
  /// too: a timer that fires after its child stopped must be swallowed.
  caf::message_handler timer();

  /// True while children are being stopped.
  bool active() const noexcept {
    return active_;
  }

  /// True if `id` waits to be stopped or is being stopped.
  bool queued(const std::string& id) const;

  /// Stops the children `ids` in this order, then runs `done`. If a
  /// sequence runs already (the owner terminates during a restart), the
  /// child being stopped stays first, `ids` replace the rest and `done`
  /// replaces the old continuation.
  void run(std::deque<std::string> ids, std::function<void()> done);

  /// From now on, requests that would wait for the sequence to end are
  /// answered with `err` instead, and one-way messages are dropped: the
  /// owner is going down and will never handle them.
  void refuse(caf::error err);

  /// For the owner's down handler: true if `source` is the child being
  /// stopped. It is then no longer awaited; the owner updates its records
  /// and calls `next()`.
  bool take(const caf::actor_addr& source);

  /// Asks the next child to stop, or ends the sequence when none is left.
  void next();

private:
  void begin();
  void end();

  caf::event_based_actor* self_ = nullptr;
  hooks hooks_;
  bool active_ = false;
  std::deque<std::string> queue_; // the front one is being stopped
  caf::actor_addr awaiting_;
  uint64_t token_ = 0; // tells the current timer from stale ones
  std::function<void()> done_;
  caf::error refusal_;
};

} // namespace troupe::detail
