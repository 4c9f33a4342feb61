#pragma once
// troupe's error codes, a CAF error category ("troupe"). Every code renders to
// a sentence that says what happened and what to do (see errc.cpp).

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/atom.hpp>

namespace troupe {

enum class errc : uint8_t {
  none = 0,
  /// A supervisor saw more than `intensity` restarts within `period`.
  restart_intensity_exceeded,
  /// A child's factory failed (unknown type, wrong arguments, exception).
  child_start_failed,
  /// No child with this id under the supervisor.
  no_such_child,
  /// A child with this id already exists under the supervisor.
  child_already_exists,
  /// The operation is not valid for the supervisor's strategy.
  wrong_strategy,
  /// A stable name buffered as many messages as its bound allows.
  name_buffer_full,
  /// The stable name exists but its child is not running and will not restart.
  name_not_running,
  /// No stable name or registry entry with this name.
  unknown_name,
  /// The name is already taken.
  name_taken,
  /// A bounded wait ran out.
  timeout,
  /// A configuration value is invalid.
  invalid_config,
  /// The remote node is down or unreachable.
  node_down,
  /// The node does not export an actor type of this name.
  unknown_actor_type,
  /// Remote spawn arguments did not match the exported type.
  bad_arguments,
  /// The peer runs a different set of message types.
  type_set_mismatch,
  /// The operation was refused (not allow-listed, wrong cookie, ...).
  not_allowed,
  /// No live member matches the placement.
  no_members,
  /// A message from a peer could not be understood.
  malformed_message,
  /// The target actor has no handler for the message.
  no_handler,
  /// The queue is full (backpressure).
  queue_full,
  /// The receiver of a request terminated (local) before answering.
  receiver_down,
  /// The connection to the receiver's node has more bytes waiting than
  /// troupe.max-pending-bytes allows: the message was not sent.
  peer_overloaded,
  /// The message is larger than troupe.max-frame-size: it was not sent.
  message_too_large,
  /// The peer did not prove it knows the cluster secret (or its TLS
  /// identity): the connection was refused.
  not_authenticated,
  /// A message for a remote actor holds a type that is not registered with
  /// add_message_type, so it cannot be serialized: it was not sent.
  unregistered_type,
  /// The receiver's bounded mailbox (troupe::spawn_bounded) was full: the
  /// message was refused, or dropped as the oldest waiting.
  mailbox_full,
};

/// The atom under which troupe's errors are registered with CAF.
inline constexpr caf::atom_value errc_category = caf::atom("troupe");

std::string to_string(errc code);

/// What to do about `code`, as one sentence for the user.
const char* advice(errc code);

caf::error make_error(errc code);
caf::error make_error(errc code, std::string context);

/// Renders any CAF or troupe error as "what happened: context. what to do".
std::string render(const caf::error& err);

} // namespace troupe
