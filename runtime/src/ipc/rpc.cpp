#include "troupe/rpc.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor_control_block.hpp>
#include <caf/attachable.hpp>
#include <caf/exit_reason.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "ipc/rpc_metrics.hpp"

namespace troupe::rpc {

namespace {

bool is_remote(const caf::actor& dest) {
  return dest && dest->node() != dest->home_system().node();
}

bool is_link_loss(const caf::error& err) {
  // caf::error's category() and code() need a non-empty error.
  constexpr auto unreachable = caf::exit_reason::remote_link_unreachable;
  return err && err.category() == caf::atom("exit")
         && err.code() == static_cast<uint8_t>(unreachable);
}

/// A short name for the exit reason of a receiver, for error contexts.
std::string exit_text(const caf::error& reason) {
  if (!reason)
    return "normal exit";
  if (reason.category() == caf::atom("exit"))
    return to_string(static_cast<caf::exit_reason>(reason.code()));
  if (reason.category() == caf::atom("system"))
    return to_string(static_cast<caf::sec>(reason.code()));
  return render(reason);
}

/// The error that ends a call whose receiver terminated with `reason`.
caf::error receiver_gone(const caf::error& reason, bool remote) {
  if (remote && is_link_loss(reason))
    return make_error(errc::node_down,
                      "the receiver's node was lost (its connection closed) "
                      "before the receiver answered");
  if (remote)
    return make_error(errc::node_down,
                      "the remote receiver terminated before it answered ("
                        + exit_text(reason) + ")");
  return make_error(errc::receiver_down,
                    "the receiver terminated before it answered ("
                      + exit_text(reason) + ")");
}

/// Ends a pending call when its receiver terminates: attached to the
/// receiver (or its proxy) for one attempt, it answers the caller's request
/// with the error in the receiver's place. It is what `monitor` attaches,
/// minus the down_msg, which a blocking receive of the response would leave
/// in the mailbox; and it costs no helper actor. CAF runs it once, when the
/// receiver is cleaned up (at once if it already is): for a proxy, when its
/// node's connection is lost (reason remote_link_unreachable) or the remote
/// actor's exit is reported.
class call_watch : public caf::attachable {
public:
  /// Not one of CAF's own subtypes (0..3): only detach() asks for it.
  static constexpr size_t token_type = 0x74727063; // "trpc"

  /// `response` is the id the caller awaits (a response handle's id()).
  call_watch(caf::strong_actor_ptr caller, caf::message_id response,
             bool remote)
    : caller_(std::move(caller)), response_(response), remote_(remote) {
    // nop
  }

  void actor_exited(const caf::error& reason, caf::execution_unit*) override {
    // Runs on whichever thread cleans the receiver up; enqueueing to the
    // blocking caller is thread-safe. A caller that got its reply already
    // skips this late response; one that is gone drops it.
    caller_->enqueue(nullptr, response_,
                     caf::make_message(receiver_gone(reason, remote_)),
                     nullptr);
  }

  bool matches(const token& what) override {
    return what.subtype == token_type && what.ptr == this;
  }

private:
  caf::strong_actor_ptr caller_;
  caf::message_id response_;
  bool remote_;
};

caf::expected<caf::message> one_attempt(caf::actor_system& sys,
                                        const caf::actor& dest,
                                        caf::timespan deadline,
                                        const caf::message& msg) {
  if (!dest)
    return classify(caf::sec::invalid_argument, dest);
  caf::scoped_actor self{sys};
  auto req = self->request(dest, deadline, msg);
  // Watch only after sending: the request id names the response to give,
  // and a receiver that died in between is reported at once by attach.
  auto watch = std::make_unique<call_watch>(
    caf::actor_cast<caf::strong_actor_ptr>(self), req.id(), is_remote(dest));
  caf::attachable::token tk{call_watch::token_type, watch.get()};
  dest->attach(std::move(watch));
  caf::expected<caf::message> result{caf::error{}};
  req.receive([&](caf::error& err) { result = classify(err, dest); },
              caf::others >> [&](caf::message_view& reply)
                -> caf::result<caf::message> {
                result = reply.move_content_to_message();
                return caf::message{};
              });
  // The receiver lives on: take the watch off it (a no-op if it has run).
  dest->detach(tk);
  return result;
}

} // namespace

caf::error classify(const caf::error& err, const caf::actor& dest) {
  if (!err)
    return err;
  if (is_link_loss(err))
    return make_error(errc::node_down,
                      "the connection to the receiver's node was lost");
  if (err.category() != caf::atom("system"))
    return err;
  switch (static_cast<caf::sec>(err.code())) {
    case caf::sec::request_timeout:
      return make_error(errc::timeout, "no reply before the deadline");
    case caf::sec::unexpected_message:
      return make_error(errc::no_handler,
                        "the receiver has no handler for this message");
    case caf::sec::request_receiver_down:
    case caf::sec::remote_linking_failed:
      if (is_remote(dest))
        return make_error(errc::node_down,
                          "the receiver's node is down or unreachable");
      return make_error(errc::receiver_down,
                        "the receiver terminated before it answered");
    case caf::sec::invalid_argument:
      if (!dest)
        return make_error(errc::receiver_down, "invalid (empty) handle");
      return err;
    default:
      return err;
  }
}

bool retryable(const caf::error& err) {
  if (err.category() != errc_category)
    return false;
  auto code = static_cast<errc>(err.code());
  return code == errc::timeout || code == errc::node_down;
}

caf::timespan backoff_for(const options& opts, int attempt) {
  auto wait = opts.backoff;
  for (int i = 1; i < attempt && wait < opts.max_backoff; ++i)
    wait *= 2;
  return std::min(wait, opts.max_backoff);
}

namespace detail {

caf::expected<caf::message> call(caf::actor_system& sys, const caf::actor& dest,
                                 const options& opts, const caf::message& msg) {
  auto start = std::chrono::steady_clock::now();
  auto result = one_attempt(sys, dest, opts.deadline, msg);
  if (opts.idempotent)
    for (int i = 1; i <= opts.retries && !result && retryable(result.error());
         ++i) {
      // Backoff between attempts is pacing, not synchronisation.
      std::this_thread::sleep_for(backoff_for(opts, i));
      rpc_metrics::retries().add();
      result = one_attempt(sys, dest, opts.deadline, msg);
    }
  rpc_metrics::record(result ? caf::error{} : result.error(),
                      std::chrono::steady_clock::now() - start);
  return result;
}

caf::error unexpected_reply(caf::message reply) {
  return caf::make_error(caf::sec::unexpected_response, std::move(reply));
}

} // namespace detail

} // namespace troupe::rpc
