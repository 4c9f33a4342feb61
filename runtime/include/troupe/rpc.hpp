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
// Inside an actor never block: use CAF's own request and map its error with
// rpc::classify so both forms report the same codes:
//
//   self->request(dest, 500ms, get_atom::value).then(
//     [=](int64_t x) { ... },
//     [=](caf::error& err) { err = troupe::rpc::classify(err, dest); ... });
//
// Errors (troupe::errc): timeout (the deadline of an attempt passed),
// node_down (the receiver is remote and its node was lost or is unreachable,
// or the remote receiver terminated before it answered; the error's context
// says which), receiver_down (a local receiver terminated before it answered,
// or the handle is invalid), no_handler (the receiver has no handler for the
// message, CAF's sec::unexpected_message). Any other error (e.g. one the
// receiver returned itself) passes through unchanged.
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
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "troupe/errc.hpp"
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
/// `dest` tells a remote receiver (node_down) from a local one.
caf::error classify(const caf::error& err, const caf::actor& dest);

/// True for errors after which an idempotent call may be repeated.
bool retryable(const caf::error& err);

/// The wait before retry number `attempt` (1-based) under `opts`.
caf::timespan backoff_for(const options& opts, int attempt);

namespace detail {

/// The untyped call behind rpc::call: sends `msg` to `dest` under `opts`
/// and returns whatever the receiver answered, or the classified error.
caf::expected<caf::message> call(caf::actor_system& sys, const caf::actor& dest,
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

} // namespace troupe::rpc
