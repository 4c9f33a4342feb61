#include "troupe/errc.hpp"

#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace troupe {

namespace {

struct errc_text {
  const char* name;
  const char* advice;
};

errc_text text_of(errc code) {
  switch (code) {
    case errc::none:
      return {"none", ""};
    case errc::restart_intensity_exceeded:
      return {"restart_intensity_exceeded",
              "a child kept failing; look at the child's own errors logged "
              "before this one, or raise the supervisor's intensity/period"};
    case errc::child_start_failed:
      return {"child_start_failed",
              "check the child's type name, its arguments and its init code"};
    case errc::no_such_child:
      return {"no_such_child",
              "list the supervisor's children with which_children"};
    case errc::child_already_exists:
      return {"child_already_exists",
              "give each child spec a unique id or delete the old one first"};
    case errc::wrong_strategy:
      return {"wrong_strategy",
              "dynamic children from a template need simple_one_for_one; "
              "other strategies take full child specs"};
    case errc::name_buffer_full:
      return {"name_buffer_full",
              "the named child is restarting and its buffer is full; retry "
              "later or raise supervisor_spec::name_buffer"};
    case errc::name_not_running:
      return {"name_not_running",
              "the named child ended and will not restart; restart it with "
              "restart_child or start a new one"};
    case errc::unknown_name:
      return {"unknown_name",
              "no actor is registered under this name; check the spelling or "
              "wait until the owner has started"};
    case errc::name_taken:
      return {"name_taken",
              "the holder of the name is said above; choose another name, or "
              "end the holder first"};
    case errc::timeout:
      return {"timeout",
              "the peer did not answer in time; check that it is alive or "
              "allow a longer deadline"};
    case errc::invalid_config:
      return {"invalid_config", "fix the option named above (see --help)"};
    case errc::node_down:
      return {"node_down",
              "the node is down or unreachable; retry on another node or wait "
              "for it to rejoin"};
    case errc::unknown_actor_type:
      return {"unknown_actor_type",
              "the target node does not export this type; export it there "
              "with export_type or check the name"};
    case errc::bad_arguments:
      return {"bad_arguments",
              "pass the arguments the exported type's function takes after "
              "its self pointer, with their exact types (e.g. int64_t, not "
              "int)"};
    case errc::type_set_mismatch:
      return {"type_set_mismatch",
              "build every node from the same version so that they register "
              "the same message types"};
    case errc::not_allowed:
      return {"not_allowed",
              "the node refused the request; check the cookie and allowlist"};
    case errc::no_members:
      return {"no_members",
              "no live node matches the placement; start or join more nodes"};
    case errc::malformed_message:
      return {"malformed_message",
              "a peer sent a message this node cannot read; check versions"};
    case errc::no_handler:
      return {"no_handler",
              "the receiver does not handle this message; check its interface"};
    case errc::queue_full:
      return {"queue_full",
              "the queue is at its bound; slow down producers or add workers"};
    case errc::receiver_down:
      return {"receiver_down",
              "the receiving actor terminated; look up a fresh handle (e.g. "
              "through its stable name) and retry"};
    case errc::peer_overloaded:
      return {"peer_overloaded",
              "the receiver's node reads slower than this node sends; slow "
              "down, or raise troupe.max-pending-bytes"};
    case errc::message_too_large:
      return {"message_too_large",
              "send large payloads in chunks, or raise troupe.max-frame-size "
              "on every node"};
    case errc::not_authenticated:
      return {"not_authenticated",
              "give every node the same cluster secret (--troupe.cookie-file) and, "
              "with TLS, a certificate of the same CA (--troupe.tls-ca)"};
    case errc::unregistered_type:
      return {"unregistered_type",
              "register the type named above with add_message_type on every "
              "node (the same name everywhere)"};
    case errc::mailbox_full:
      return {"mailbox_full",
              "the receiver handles messages slower than they arrive; slow "
              "down and retry, or raise its mailbox capacity"};
  }
  return {"unknown", ""};
}

std::string render_troupe(uint8_t code, const caf::message& ctx) {
  auto c = static_cast<errc>(code);
  std::string result = to_string(c);
  if (!ctx.empty()) {
    result += ": ";
    if (ctx.match_elements<std::string>())
      result += ctx.get_as<std::string>(0);
    else
      result += to_string(ctx);
  }
  if (auto tip = advice(c); *tip) {
    result += ". ";
    result += tip;
  }
  return result;
}

} // namespace

std::string to_string(errc code) {
  return text_of(code).name;
}

const char* advice(errc code) {
  return text_of(code).advice;
}

caf::error make_error(errc code) {
  return {static_cast<uint8_t>(code), errc_category};
}

caf::error make_error(errc code, std::string context) {
  return {static_cast<uint8_t>(code), errc_category,
          caf::make_message(std::move(context))};
}

std::string render(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() == errc_category)
    return render_troupe(err.code(), err.context());
  if (err.category() == caf::atom("system")) {
    auto s = static_cast<caf::sec>(err.code());
    std::string result = "caf: " + to_string(s);
    if (!err.context().empty())
      result += " (" + to_string(err.context()) + ")";
    switch (s) {
      case caf::sec::request_timeout:
        result += ". the receiver did not answer in time; check that it is "
                  "alive or allow a longer deadline";
        break;
      case caf::sec::request_receiver_down:
        result += ". the receiver is gone (crashed, stopped or its node went "
                  "down); look it up again";
        break;
      case caf::sec::unexpected_message:
        result += ". the receiver has no handler for this message";
        break;
      default:
        break;
    }
    return result;
  }
  if (err.category() == caf::atom("exit"))
    return "exit: " + to_string(static_cast<caf::exit_reason>(err.code()));
  return to_string(err);
}

} // namespace troupe
