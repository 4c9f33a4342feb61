#pragma once
// Values CAF 0.17.6 decodes from a peer's bytes but cannot handle later: a
// caf::duration whose time unit is outside the enum makes caf::to_string
// read past a table and crash (found by fuzz_spawn_request), and CAF's
// default handler of unexpected messages renders the message it drops.
// The transport drops a message holding one (nested messages included, and
// the context of an error: rendering an error renders its context, which a
// peer fills as it likes; found by fuzz_node_message).

#include <cstddef>
#include <cstdint>

#include <caf/duration.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>

namespace troupe::detail {

/// Whether every value in `msg` is one CAF can render and re-encode.
inline bool renderable(const caf::message& msg, int depth = 0) {
  if (depth > 16)
    return false;
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg.match_element<caf::duration>(i)) {
      auto unit = static_cast<uint32_t>(msg.get_as<caf::duration>(i).unit);
      if (unit > static_cast<uint32_t>(caf::time_unit::nanoseconds))
        return false;
    } else if (msg.match_element<caf::message>(i)) {
      if (!renderable(msg.get_as<caf::message>(i), depth + 1))
        return false;
    } else if (msg.match_element<caf::error>(i)) {
      // An empty error has no context (CAF's context() reads through null).
      const auto& err = msg.get_as<caf::error>(i);
      if (err && !renderable(err.context(), depth + 1))
        return false;
    }
  }
  return true;
}

/// `reason` as a peer's down frame may carry it: with its context dropped
/// (code and category kept) when the context holds a value CAF cannot
/// render, since every monitor that logs the reason renders its context.
inline caf::error renderable_reason(caf::error reason) {
  if (reason && !renderable(reason.context()))
    return caf::error{reason.code(), reason.category()};
  return reason;
}

} // namespace troupe::detail
