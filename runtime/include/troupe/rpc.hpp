#pragma once
// Request/response with deadlines, distinct errors and opt-in retries.
//
// Blocking form (outside actors, e.g. main, tests, CLI):
//
//   auto total = troupe::rpc::call<int64_t>(sys, counter, 500ms, get_atom::value);
//   auto v = troupe::rpc::call<int64_t>(sys, kv, troupe::rpc::options{
//              .deadline = 200ms, .retries = 3, .backoff = 20ms,
//              .idempotent = true}, get_atom::value, key);
//
// Inside an actor never block: rpc::request is the same call without
// blocking, with the same errors and the same early end:
//
//   troupe::rpc::request<int64_t>(self, dest, 500ms, get_atom::value).then(
//     [=](int64_t x) { ... },
//     [=](const caf::error& err) { ... });  // timeout, node_down, ...
//
// CAF's own self->request(...).then reports only what CAF delivers (a
// request to a receiver that dies or whose node is lost while it holds the
// request waits for its deadline); rpc::classify maps its errors to the
// codes below.
//
// Errors (troupe::errc): timeout (the deadline of an attempt passed),
// node_down (the receiver is remote and its node is known lost: the
// connection to it closed, or this node's membership has it down or
// removed), receiver_down (the receiver terminated before it answered, on
// this node or on a remote node that is alive: the context names the node
// and the exit reason when known; or the handle is invalid), no_handler (the
// receiver has no handler for the message, CAF's sec::unexpected_message),
// unregistered_type (the receiver is remote and an element of the message
// has a type not registered with add_message_type: nothing was sent; the
// context names the C++ type and the call that registers it). Any other
// error (e.g. one the receiver returned itself) passes through unchanged.
//
// rpc::call watches the receiver while an attempt is pending: when the
// receiver terminates, or the connection to its node is lost, the call ends
// at once with receiver_down or node_down instead of waiting for its
// deadline (CAF 0.17 itself reports neither for a request the receiver has
// already taken). An actor's own request(...).then only gets the errors CAF
// delivers; to end early it must monitor the receiver itself.
//
// Retries: only when options::idempotent is true, only after timeout or
// node_down, at most options::retries extra attempts, waiting backoff,
// 2*backoff, 4*backoff... between attempts (capped at max_backoff). A
// non-idempotent call is attempted exactly once whatever `retries` says:
// after a timeout the first attempt may still have taken effect.

#include <chrono>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "troupe/errc.hpp"
#include "troupe/node.hpp"
#include "troupe/system.hpp"

namespace troupe::rpc {

/// How to make one call.
struct options {
  /// Deadline of each attempt.
  caf::timespan deadline = std::chrono::seconds(5);
  /// Extra attempts after a retryable failure; ignored unless idempotent.
  int retries = 0;
  /// Wait before the first retry; doubles for each further retry.
  caf::timespan backoff = std::chrono::milliseconds(10);
  /// Upper bound of the wait between two attempts.
  caf::timespan max_backoff = std::chrono::seconds(1);
  /// The caller states that repeating the message is harmless.
  bool idempotent = false;
};

/// Maps CAF's request errors to troupe's distinct codes (see file comment).
/// For a remote `dest`, CAF's request_receiver_down is node_down only when
/// its node is known lost (its proxy ended with remote_link_unreachable, or
/// this process's node has the member down or removed), receiver_down with
/// the node's name (and the exit reason, once the proxy knows it) otherwise.
caf::error classify(const caf::error& err, const caf::actor& dest);

/// True for errors after which an idempotent call may be repeated.
bool retryable(const caf::error& err);

/// The wait before retry number `attempt` (1-based) under `opts`.
caf::timespan backoff_for(const options& opts, int attempt);

namespace detail {

/// Watches `dest` for one pending request of `caller`: when `dest` ends,
/// `caller` gets the classified error as the response `response` (the id a
/// response handle's id() gives). Returns the watch's token for unwatch.
uint64_t watch(caf::strong_actor_ptr caller, caf::message_id response,
               const caf::actor& dest);

/// Takes watch `token` off `dest` (a no-op once it has run).
void unwatch(const caf::actor& dest, uint64_t token);

/// errc::unregistered_type if `dest` is remote and an element of `msg` has a
/// type that `sys` cannot serialize; no error otherwise.
caf::error check_sendable(caf::actor_system& sys, const caf::actor& dest,
                          const caf::message& msg);

/// The untyped call behind rpc::call: sends `msg` to `dest` under `opts`
/// and returns whatever the receiver answered, or the classified error.
caf::expected<caf::message> call(caf::actor_system& sys, const caf::actor& dest,
                                 const options& opts, const caf::message& msg);

/// The same to the actor registered as `name` (see rpc::call by name).
caf::expected<caf::message> call(troupe::node& n, const std::string& name,
                                 const options& opts, const caf::message& msg);

/// CAF's sec::unexpected_response for a reply that is not what the caller
/// asked for (as a typed blocking receive reports it).
caf::error unexpected_reply(caf::message reply);

/// The reply as R (void: an empty reply).
template <class R>
caf::expected<R> reply_as(caf::expected<caf::message> reply) {
  if (!reply)
    return std::move(reply.error());
  if constexpr (std::is_void_v<R>) {
    if (reply->empty())
      return caf::expected<void>{};
  } else {
    if (reply->template match_elements<R>())
      return reply->template move_if_unshared<R>(0);
  }
  return unexpected_reply(std::move(*reply));
}

} // namespace detail

/// Sends `xs...` to `dest` and waits for a reply of type R (void: an empty
/// reply), local or remote alike. See the file comment for errors/retries.
template <class R, class... Ts>
caf::expected<R> call(caf::actor_system& sys, const caf::actor& dest,
                      const options& opts, const Ts&... xs) {
  return detail::reply_as<R>(
    detail::call(sys, dest, opts, caf::make_message(xs...)));
}

/// One attempt with the given deadline (no retries).
template <class R, class... Ts>
caf::expected<R> call(caf::actor_system& sys, const caf::actor& dest,
                      caf::timespan deadline, const Ts&... xs) {
  options opts;
  opts.deadline = deadline;
  return call<R>(sys, dest, opts, xs...);
}

template <class R, class... Ts>
caf::expected<R> call(troupe::system& sys, const caf::actor& dest,
                      const options& opts, const Ts&... xs) {
  return call<R>(sys.actors(), dest, opts, xs...);
}

template <class R, class... Ts>
caf::expected<R> call(troupe::system& sys, const caf::actor& dest,
                      caf::timespan deadline, const Ts&... xs) {
  return call<R>(sys.actors(), dest, deadline, xs...);
}

/// Calls the actor registered as `name` in the cluster registry, as node
/// `n` knows it (node::lookup, which never blocks), and waits for a reply
/// of type R:
///
///   auto balance = rpc::call<int64_t>(node, "bank.main", rpc::options{
///       .deadline = 1s, .retries = 3, .idempotent = true}, balance_atom::value);
///
/// The name is resolved again at every attempt, so the retries of an
/// idempotent call follow a re-registration: a remote child restarted on
/// another member, a fail-over to a new holder. errc::unknown_name when the
/// name is not registered; for an idempotent call that, and receiver_down,
/// are retried as well as timeout and node_down (the name may be between
/// two holders). Otherwise as rpc::call with a handle. What is lost: a
/// reply that comes after the deadline of its attempt.
template <class R, class... Ts>
caf::expected<R> call(troupe::node& n, const std::string& name,
                      const options& opts, const Ts&... xs) {
  return detail::reply_as<R>(
    detail::call(n, name, opts, caf::make_message(xs...)));
}

/// One attempt by name with the given deadline (no retries).
template <class R, class... Ts>
caf::expected<R> call(troupe::node& n, const std::string& name,
                      caf::timespan deadline, const Ts&... xs) {
  options opts;
  opts.deadline = deadline;
  return call<R>(n, name, opts, xs...);
}

/// A request sent by rpc::request, waiting for its handlers (then).
template <class R, class Self>
class pending_request {
public:
  using handle_type = decltype(std::declval<Self*>()->request(
    std::declval<const caf::actor&>(), caf::timespan{},
    std::declval<caf::message>()));

  pending_request(caf::actor dest, handle_type handle, uint64_t token,
                  caf::error refused)
    : dest_(std::move(dest)),
      handle_(std::move(handle)),
      token_(token),
      refused_(std::move(refused)) {
    // nop
  }

  /// Installs the handlers: `on_reply(R)` (no argument for R = void) with
  /// the reply, or `on_error(const caf::error&)` with the classified error.
  /// Exactly one of them runs, once, in the requesting actor.
  template <class F, class G>
  void then(F on_reply, G on_error) && {
    auto dest = dest_;
    auto token = token_;
    auto refused = refused_;
    auto fail = [=](caf::error& err) mutable {
      detail::unwatch(dest, token);
      on_error(refused ? refused : classify(err, dest));
    };
    if constexpr (std::is_void_v<R>)
      handle_.then(
        [=]() mutable {
          detail::unwatch(dest, token);
          on_reply();
        },
        std::move(fail));
    else
      handle_.then(
        [=](R& x) mutable {
          detail::unwatch(dest, token);
          on_reply(std::move(x));
        },
        std::move(fail));
  }

private:
  caf::actor dest_;
  handle_type handle_;
  uint64_t token_;
  caf::error refused_;
};

/// The actor-side rpc::call: sends `xs...` from `self` (an event-based
/// actor) to `dest` and returns a pending request whose `.then(on_reply,
/// on_error)` gets the reply as R, or the same errors as rpc::call. It never
/// blocks, and it watches the receiver like rpc::call: when the receiver
/// terminates, or the connection to its node closes, the request ends at
/// once with receiver_down or node_down, not at `deadline`. One attempt, no
/// retries (an actor schedules its own). What is lost: a reply that comes
/// after the error (the request has ended) is dropped by CAF. Handlers run
/// in `self`, so they may touch its state.
template <class R, class Self, class... Ts>
pending_request<R, Self> request(Self* self, const caf::actor& dest,
                                 caf::timespan deadline, Ts&&... xs) {
  auto msg = caf::make_message(std::forward<Ts>(xs)...);
  auto refused = dest ? detail::check_sendable(self->system(), dest, msg)
                      : caf::error{};
  if (refused) {
    // Nothing is sent: CAF answers a request to an invalid handle at once,
    // and the handlers report `refused` instead.
    auto h = self->request(caf::actor{}, deadline, std::move(msg));
    return {dest, std::move(h), 0, std::move(refused)};
  }
  auto h = self->request(dest, deadline, std::move(msg));
  uint64_t token = 0;
  if (dest)
    token = detail::watch(caf::actor_cast<caf::strong_actor_ptr>(self), h.id(),
                          dest);
  return {dest, std::move(h), token, caf::error{}};
}

} // namespace troupe::rpc
