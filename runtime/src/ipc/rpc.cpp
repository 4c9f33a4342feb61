#include "troupe/rpc.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

namespace troupe::rpc {

namespace {

bool is_remote(const caf::actor& dest) {
  return dest && dest->node() != dest->home_system().node();
}

} // namespace

caf::error classify(const caf::error& err, const caf::actor& dest) {
  if (err.category() == caf::atom("exit")
      && err.code()
           == static_cast<uint8_t>(caf::exit_reason::remote_link_unreachable))
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

} // namespace troupe::rpc
