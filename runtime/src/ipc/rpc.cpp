#include "troupe/rpc.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <caf/actor_control_block.hpp>
#include <caf/attachable.hpp>
#include <caf/exit_reason.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/sec.hpp>
#include <caf/uniform_type_info_map.hpp>

#include "node/member_directory.hpp"
#include "troupe/node.hpp"

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

/// The C++ name of `ti` as written in source ("bank::deposit").
std::string demangled(const std::type_info& ti) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text{
    abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status), std::free};
  return status == 0 && text ? std::string{text.get()} : std::string{ti.name()};
}

/// "node n2" (its member name) or CAF's node id when no node here knows it.
std::string node_text(const caf::actor& dest) {
  auto& sys = dest->home_system();
  if (auto name = member_name_of(sys, dest.node()))
    return "node " + *name;
  return "node " + to_string(dest.node());
}

/// The error for a remote receiver that is gone: node_down only when its
/// node is known lost (the connection closed: every proxy of it ended with
/// remote_link_unreachable; or the membership says down or removed),
/// receiver_down with the exit reason and the node otherwise (the actor
/// ended, its node lives on).
caf::error remote_gone(const caf::actor& dest, const caf::error& reason,
                       bool reason_known) {
  if (is_link_loss(reason))
    return make_error(errc::node_down,
                      "the receiver's node was lost (the connection to "
                        + node_text(dest)
                        + " closed) before the receiver answered");
  if (troupe::detail::known_lost(dest->home_system(), dest.node()))
    return make_error(errc::node_down,
                      node_text(dest)
                        + " is down (as this node's membership says); the "
                          "receiver did not answer");
  return make_error(errc::receiver_down,
                    "the receiver on " + node_text(dest)
                      + " (the node is alive) terminated before it answered"
                      + (reason_known ? " (" + exit_text(reason) + ")"
                                      : std::string{}));
}

/// The exit reason of a receiver whose handle (a proxy, for a remote one)
/// has terminated; nothing while it runs. CAF keeps a terminated actor's
/// reason as its fail state; a normal exit and a running actor look alike
/// there, so a normal exit is reported as unknown.
std::optional<caf::error> ended_with(const caf::actor& dest) {
  auto* ptr = caf::actor_cast<caf::abstract_actor*>(dest);
  auto* m = dynamic_cast<caf::monitorable_actor*>(ptr);
  if (m == nullptr)
    return std::nullopt;
  if (auto reason = m->fail_state())
    return reason;
  return std::nullopt;
}

/// How long a blocking call waits for the end of a remote receiver whose
/// node bounced the request: the receiver's exit reason comes after the
/// bounce, on the same connection.
constexpr auto reason_wait = std::chrono::milliseconds(250);

/// The exit reason of `dest` once its handle terminates, waiting at most
/// `bound`; nothing if it still runs then. For blocking callers only.
std::optional<caf::error> await_end(const caf::actor& dest,
                                    caf::timespan bound) {
  if (auto reason = ended_with(dest))
    return reason;
  auto done = std::make_shared<std::promise<caf::error>>();
  auto fut = done->get_future();
  dest->attach_functor(
    [done](const caf::error& reason) { done->set_value(reason); });
  if (fut.wait_for(bound) != std::future_status::ready)
    return std::nullopt;
  return fut.get();
}

/// The error that ends a call whose receiver terminated with `reason`.
caf::error receiver_gone(const caf::actor& dest, const caf::error& reason,
                         bool remote) {
  if (remote)
    return remote_gone(dest, reason, true);
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
             caf::actor dest)
    : id_(next_id()),
      caller_(std::move(caller)),
      response_(response),
      dest_(caf::actor_cast<caf::weak_actor_ptr>(dest)),
      remote_(is_remote(dest)) {
    // nop
  }

  void actor_exited(const caf::error& reason, caf::execution_unit*) override {
    // Runs on whichever thread cleans the receiver up; enqueueing to the
    // blocking caller is thread-safe. A caller that got its reply already
    // skips this late response; one that is gone drops it.
    auto dest = caf::actor_cast<caf::actor>(dest_);
    auto err = dest ? receiver_gone(dest, reason, remote_)
                    : make_error(errc::receiver_down,
                                 "the receiver terminated before it answered ("
                                   + exit_text(reason) + ")");
    caller_->enqueue(nullptr, response_, caf::make_message(std::move(err)),
                     nullptr);
  }

  bool matches(const token& what) override {
    return what.subtype == token_type && what.ptr == key(id_);
  }

  uint64_t id() const noexcept {
    return id_;
  }

  /// A token's pointer for watch `id`: ids are never reused, unlike the
  /// address of a watch that has run and been freed.
  static const void* key(uint64_t id) noexcept {
    return reinterpret_cast<const void*>(static_cast<uintptr_t>(id));
  }

private:
  static uint64_t next_id() noexcept {
    static std::atomic<uint64_t> last{0};
    return ++last;
  }

  uint64_t id_;
  caf::strong_actor_ptr caller_;
  caf::message_id response_;
  // Weak: the watch lives in the receiver's own attachables.
  caf::weak_actor_ptr dest_;
  bool remote_;
};

caf::expected<caf::message> one_attempt(caf::actor_system& sys,
                                        const caf::actor& dest,
                                        caf::timespan deadline,
                                        const caf::message& msg) {
  if (!dest)
    return classify(caf::sec::invalid_argument, dest);
  if (auto err = detail::check_sendable(sys, dest, msg))
    return err;
  caf::scoped_actor self{sys};
  auto req = self->request(dest, deadline, msg);
  // Watch only after sending: the request id names the response to give,
  // and a receiver that died in between is reported at once by attach.
  auto tk = detail::watch(caf::actor_cast<caf::strong_actor_ptr>(self),
                          req.id(), dest);
  caf::expected<caf::message> result{caf::error{}};
  req.receive(
    [&](caf::error& err) {
      if (err == caf::sec::request_receiver_down && is_remote(dest)) {
        // The receiver's node answered for it: tell its exit reason, or
        // that the node is lost after all.
        auto reason = await_end(dest, reason_wait);
        result = remote_gone(dest, reason ? *reason : caf::error{},
                             reason.has_value());
        return;
      }
      result = classify(err, dest);
    },
              caf::others >> [&](caf::message_view& reply)
                -> caf::result<caf::message> {
                result = reply.move_content_to_message();
                return caf::message{};
              });
  // The receiver lives on: take the watch off it (a no-op if it has run).
  detail::unwatch(dest, tk);
  return result;
}

} // namespace

caf::error classify(const caf::error& err, const caf::actor& dest) {
  if (!err)
    return err;
  if (is_link_loss(err))
    // The request was bounced by the connection's end (the watch of the
    // receiver or the transport): name the node, as remote_gone does.
    return make_error(errc::node_down,
                      dest ? "the connection to " + node_text(dest)
                               + " was lost before the receiver answered"
                           : std::string{"the connection to the receiver's "
                                         "node was lost"});
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
      if (is_remote(dest)) {
        // CAF bounces the request of an actor that is gone; whether its
        // node is gone too is for the proxy's end and the membership to say.
        auto reason = ended_with(dest);
        return remote_gone(dest, reason ? *reason : caf::error{},
                           reason.has_value());
      }
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

uint64_t watch(caf::strong_actor_ptr caller, caf::message_id response,
               const caf::actor& dest) {
  auto w = std::make_unique<call_watch>(std::move(caller), response, dest);
  auto id = w->id();
  dest->attach(std::move(w));
  return id;
}

void unwatch(const caf::actor& dest, uint64_t token) {
  if (dest)
    dest->detach({call_watch::token_type, call_watch::key(token)});
}

caf::error check_sendable(caf::actor_system& sys, const caf::actor& dest,
                          const caf::message& msg) {
  if (!is_remote(dest))
    return {}; // a local message is never serialized
  auto& types = sys.types();
  for (size_t i = 0; i < msg.size(); ++i) {
    auto rtti = msg.type(i);
    if (rtti.first != 0 || rtti.second == nullptr)
      continue; // one of CAF's builtin types
    if (&types.portable_name(rtti) != &types.default_type_name())
      continue;
    auto name = demangled(*rtti.second);
    return make_error(
      errc::unregistered_type,
      "element " + std::to_string(i) + " of the message, of C++ type " + name
        + ", is not a registered message type, so it cannot go to the "
          "receiver on "
        + node_text(dest) + "; add cfg.add_message_type<" + name + ">(\""
        + name + "\") to the configuration of every node");
  }
  return {};
}

/// The attempts of one call under `opts`, each to the receiver `resolve`
/// gives at that moment; `may_retry` says which errors another attempt
/// may cure.
template <class Resolve, class MayRetry>
caf::expected<caf::message> attempts(caf::actor_system& sys, Resolve resolve,
                                     MayRetry may_retry, const options& opts,
                                     const caf::message& msg) {
  auto start = std::chrono::steady_clock::now();
  auto attempt = [&]() -> caf::expected<caf::message> {
    auto dest = resolve();
    if (!dest)
      return dest.error();
    return one_attempt(sys, *dest, opts.deadline, msg);
  };
  auto result = attempt();
  if (opts.idempotent)
    for (int i = 1; i <= opts.retries && !result && may_retry(result.error());
         ++i) {
      // Backoff between attempts is pacing, not synchronisation.
      std::this_thread::sleep_for(backoff_for(opts, i));
      rpc_metrics::retries().add();
      result = attempt();
    }
  rpc_metrics::record(result ? caf::error{} : result.error(),
                      std::chrono::steady_clock::now() - start);
  return result;
}

caf::expected<caf::message> call(caf::actor_system& sys, const caf::actor& dest,
                                 const options& opts, const caf::message& msg) {
  return attempts(
    sys, [&] { return caf::expected<caf::actor>{dest}; }, retryable, opts,
    msg);
}

caf::expected<caf::message> call(troupe::node& n, const std::string& name,
                                 const options& opts, const caf::message& msg) {
  // A name between two holders (a receiver being restarted elsewhere, a
  // fail-over) is worth another attempt too, and so is a receiver that
  // ended: its successor may hold the name by the next attempt.
  return attempts(
    n.sys().actors(), [&] { return n.lookup(name); },
    [](const caf::error& err) {
      return retryable(err) || err == errc::unknown_name
             || err == errc::receiver_down;
    },
    opts, msg);
}

caf::error unexpected_reply(caf::message reply) {
  return caf::make_error(caf::sec::unexpected_response, std::move(reply));
}

} // namespace detail

} // namespace troupe::rpc
