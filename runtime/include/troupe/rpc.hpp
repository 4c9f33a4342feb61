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
// node_down (the receiver is remote and its node is unreachable),
// receiver_down (a local receiver terminated or the handle is invalid),
// no_handler (the receiver has no handler for the message, CAF's
// sec::unexpected_message). Any other error (e.g. one the receiver returned
// itself) passes through unchanged.
//
// Retries: only when options::idempotent is true, only after timeout or
// node_down, at most options::retries extra attempts, waiting backoff,
// 2*backoff, 4*backoff... between attempts (capped at max_backoff). A
// non-idempotent call is attempted exactly once whatever `retries` says:
// after a timeout the first attempt may still have taken effect.

#include <algorithm>
#include <chrono>
#include <thread>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

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

template <class R, class... Ts>
caf::expected<R> attempt(caf::actor_system& sys, const caf::actor& dest,
                         caf::timespan deadline, const Ts&... xs) {
  if (!dest)
    return classify(caf::sec::invalid_argument, dest);
  caf::scoped_actor self{sys};
  caf::expected<R> result{caf::error{}};
  auto on_error = [&](caf::error& err) { result = classify(err, dest); };
  if constexpr (std::is_void_v<R>) {
    self->request(dest, deadline, xs...)
      .receive([&]() { result = caf::expected<void>{}; }, on_error);
  } else {
    self->request(dest, deadline, xs...)
      .receive([&](R& x) { result = std::move(x); }, on_error);
  }
  return result;
}

} // namespace detail

/// Sends `xs...` to `dest` and waits for a reply of type R (void: an empty
/// reply), local or remote alike. See the file comment for errors/retries.
template <class R, class... Ts>
caf::expected<R> call(caf::actor_system& sys, const caf::actor& dest,
                      const options& opts, const Ts&... xs) {
  auto result = detail::attempt<R>(sys, dest, opts.deadline, xs...);
  if (!opts.idempotent)
    return result;
  for (int i = 1; i <= opts.retries && !result && retryable(result.error());
       ++i) {
    // Backoff between attempts is pacing, not synchronisation.
    std::this_thread::sleep_for(backoff_for(opts, i));
    result = detail::attempt<R>(sys, dest, opts.deadline, xs...);
  }
  return result;
}

/// One attempt with the given deadline (no retries).
template <class R, class... Ts>
caf::expected<R> call(caf::actor_system& sys, const caf::actor& dest,
                      caf::timespan deadline, const Ts&... xs) {
  return detail::attempt<R>(sys, dest, deadline, xs...);
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
