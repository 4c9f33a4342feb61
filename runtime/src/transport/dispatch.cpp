// What the transport does with an authenticated peer's frames. Every field
// is checked before use: a peer may name only actors that exist here, may
// end or link only proxies of its own node, and may not send in the name of
// this node's actors to a protected one (the node agent).

#include <caf/actor_registry.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>

#include "transport/bounded_deserializer.hpp"
#include "transport/message_check.hpp"
#include "transport/transport_core.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

void transport_core::dispatch(connection& c, const wire::header& hdr,
                              const char* payload) {
  auto k = static_cast<wire::kind>(hdr.kind);
  switch (k) {
    case wire::kind::message:
      deliver_message(c, payload, hdr.length);
      return;
    case wire::kind::monitor:
      if (hdr.length != 8)
        break;
      handle_monitor(c, wire::get_u64(payload));
      return;
    case wire::kind::down: {
      if (hdr.length < 8)
        break;
      caf::error reason;
      bounded_deserializer source{&ctx_, payload + 8, hdr.length - 8};
      try {
        if (source(reason))
          reason = caf::exit_reason::remote_link_unreachable;
      } catch (const std::exception&) {
        reason = caf::exit_reason::remote_link_unreachable;
      }
      // Only proxies of the sender's own node.
      proxies_.erase(c.peer_node, wire::get_u64(payload),
                     renderable_reason(std::move(reason)));
      return;
    }
    case wire::kind::link:
    case wire::kind::unlink:
      if (hdr.length != 16)
        break;
      handle_link(c, k, wire::get_u64(payload), wire::get_u64(payload + 8));
      return;
    default:
      break;
  }
  limiter_.warning("malformed:" + c.address(), "transport",
                   "peer " + c.address() + " sent a malformed frame (kind "
                     + std::to_string(hdr.kind) + ", "
                     + std::to_string(hdr.length) + " bytes): ignored");
}

void transport_core::deliver_message(connection& c, const char* payload,
                                     size_t size) {
  if (size < 16) {
    limiter_.warning("short:" + c.address(), "transport",
                     "peer " + c.address() + " sent a truncated message");
    return;
  }
  auto aid = wire::get_u64(payload);
  caf::message_id mid{wire::get_u64(payload + 8)};
  // Only plain and urgent messages: stream categories are CAF-internal.
  if (mid.category() > caf::message_id::normal_message_category) {
    limiter_.warning("category:" + c.address(), "transport",
                     "peer " + c.address()
                       + " sent a message of an unknown category: dropped");
    return;
  }
  caf::strong_actor_ptr sender;
  caf::message content;
  bounded_deserializer source{&ctx_, payload + 16, size - 16};
  caf::error sender_error;
  try {
    sender_error = source(sender);
  } catch (const std::exception& e) {
    sender_error = make_error(errc::malformed_message, e.what());
  }
  if (auto err = std::move(sender_error)) {
    count_drop(&c);
    limiter_.warning("sender:" + c.address(), "transport",
                     "peer " + c.address()
                       + " sent a message with a malformed sender: "
                       + render(err));
    return;
  }
  auto dst = sys_.registry().get(static_cast<caf::actor_id>(aid));
  if (!dst) {
    // Like BASP: a request to an actor that is gone gets an error at once.
    if (mid.is_request())
      caf::detail::sync_request_bouncer{caf::exit_reason::unknown}(sender, mid);
    return;
  }
  caf::error decoded;
  try {
    decoded = source(content);
  } catch (const std::exception& e) {
    // CAF 0.17.6 throws for some malformed values (a config_value with an
    // unknown type index) instead of returning an error; on this thread an
    // escaped exception would end the process.
    decoded = make_error(errc::malformed_message, e.what());
  }
  if (auto err = std::move(decoded)) {
    count_drop(&c);
    limiter_.warning("decode:" + c.address(), "transport",
                     "a message from " + c.address()
                       + " cannot be decoded (" + render(err)
                       + "); is its type registered with add_message_type on "
                         "both nodes?");
    if (mid.is_request() && sender)
      sender->enqueue(caf::make_mailbox_element(nullptr, mid.response_id(), {},
                                                std::move(err)),
                      nullptr);
    return;
  }
  if (!renderable(content)) {
    count_drop(&c);
    limiter_.warning("unrenderable:" + c.address(), "transport",
                     "peer " + c.address()
                       + " sent a message with a value CAF cannot handle (a "
                         "duration of an unknown unit): dropped");
    return;
  }
  if (source.remaining() != 0) {
    count_drop(&c);
    limiter_.warning("trailing:" + c.address(), "transport",
                     "peer " + c.address()
                       + " sent a message with trailing bytes: dropped");
    return;
  }
  if (sender && sender->node() == sys_.node()) {
    if (is_protected(dst->id())) {
      limiter_.warning("forged:" + c.address(), "transport",
                       "peer " + c.address()
                         + " sent a message in the name of an actor of this "
                           "node to a protected actor: dropped");
      return;
    }
  }
  if (!c.inbound->fits(size) && !is_protected(dst->id())) {
    // The receivers are slower than this peer: drop rather than grow.
    count_drop(&c);
    limiter_.warning("inbound:" + c.address(), "transport",
                     "dropped a message from " + c.address() + ": "
                       + std::to_string(c.inbound->bytes.load())
                       + " bytes of its messages wait unhandled in this "
                         "node's mailboxes (troupe.max-inbound-bytes); its "
                         "receivers are slower than it sends");
    if (mid.is_request() && sender)
      sender->enqueue(
        caf::make_mailbox_element(
          nullptr, mid.response_id(), {},
          make_error(errc::peer_overloaded,
                     "the receiving node has " + std::to_string(c.inbound->limit)
                       + " bytes of this node's messages unhandled")),
        nullptr);
    return;
  }
  dst->enqueue(caf::mailbox_element_ptr{new counted_element(
                 std::move(sender), mid, std::move(content), c.inbound, size)},
               nullptr);
}

void transport_core::handle_monitor(connection& c, uint64_t aid) {
  auto local = sys_.registry().get(static_cast<caf::actor_id>(aid));
  if (!local) {
    send_down(c.peer_node, static_cast<caf::actor_id>(aid),
              caf::exit_reason::unknown);
    return;
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = peers_.find(c.peer_node);
    if (i == peers_.end() || !i->second.monitored.insert(local->id()).second)
      return; // watched already
  }
  std::weak_ptr<transport_core> self = weak_from_this();
  auto node = c.peer_node;
  auto id = local->id();
  local->get()->attach_functor([self, node, id](const caf::error& reason) {
    if (auto core = self.lock())
      core->send_down(node, id, reason);
  });
}

void transport_core::handle_link(connection& c, wire::kind k, uint64_t dst,
                                 uint64_t linker) {
  auto local = sys_.registry().get(static_cast<caf::actor_id>(dst));
  if (!local) {
    if (k == wire::kind::link)
      send_down(c.peer_node, static_cast<caf::actor_id>(dst),
                caf::exit_reason::unknown);
    return;
  }
  // A proxy of the sender's own node: the cast below is safe.
  auto proxy = proxies_.get_or_put(c.peer_node,
                                   static_cast<caf::actor_id>(linker));
  if (!proxy)
    return;
  auto* p = static_cast<caf::actor_proxy*>(
    caf::actor_cast<caf::abstract_actor*>(proxy));
  if (k == wire::kind::link)
    p->add_link(caf::actor_cast<caf::abstract_actor*>(local));
  else
    p->remove_link(caf::actor_cast<caf::abstract_actor*>(local));
}

} // namespace troupe::detail
