#pragma once
// The transport's limits and options (troupe.* in the node's config).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "transport/tls.hpp"
#include "troupe/config.hpp"

namespace troupe::detail {

struct transport_settings {
  /// The cluster secret; empty means no authentication (loopback only).
  std::string secret;
  /// Mutual TLS (troupe.tls-cert, -key, -ca); null: plaintext.
  std::shared_ptr<tls_context> tls;
  /// Largest frame a peer may send or a local actor may send to a peer.
  uint32_t max_frame_size = 8u << 20;
  /// Bytes queued for one peer before messages to it are refused.
  size_t max_pending_bytes = 64u << 20;
  /// Bytes of one peer's messages that may wait in local mailboxes,
  /// unhandled, before more from it are dropped (inbound_budget.hpp).
  size_t max_inbound_bytes = 64u << 20;
  /// Open connections, all peers together, and the share of them that has
  /// not finished its handshake (in all, and from one address).
  size_t max_connections = 1024;
  size_t max_unauthenticated = 64;
  size_t max_unauthenticated_per_address = 16;
  /// Time a new connection has to prove itself.
  caf::timespan handshake_timeout = std::chrono::seconds(5);
  /// Time messages to a node without a connection wait for one.
  caf::timespan connect_wait = std::chrono::seconds(10);
  /// Time the I/O thread polls without sleeping after its last event.
  caf::timespan spin = std::chrono::microseconds(0);
};

/// Reads the transport's options from `cfg` (troupe.cookie, troupe.cookie-file,
/// troupe.tls-cert, troupe.max-frame-size, ...). `listen_host` is where the
/// node listens: without a secret or TLS only a loopback address is
/// allowed. An incomplete TLS configuration, a TLS file that does not load
/// and an openssl.* option (CAF's BASP TLS, unused here) are errors.
caf::expected<transport_settings>
read_transport_settings(const config& cfg, const std::string& listen_host);

/// The files troupe.tls-cert, troupe.tls-key and troupe.tls-ca name (any may
/// be empty; tls_context::load says what is missing).
tls_files read_tls_files(const config& cfg);

/// Whether `host` names a loopback address (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& host);

} // namespace troupe::detail
