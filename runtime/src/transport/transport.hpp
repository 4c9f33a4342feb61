#pragma once
// troupe's node transport, the default link between nodes (issue 13): TCP
// with an authenticated handshake (handshake.hpp), length-checked frames
// (wire.hpp), CAF actor proxies for remote actors (proxy.hpp) and one I/O
// thread per node that reads every connection (io_loop.cpp). Senders write
// to the socket themselves when nobody else is writing, so a message costs
// no hop through another thread on the way out.
//
// Remote actors are plain caf::actor handles: request/response ids, monitor
// and down_msg, link and exit_msg, send_exit and actor handles inside
// messages work across nodes. When the last connection to a node closes,
// every proxy of that node ends with remote_link_unreachable.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/node_id.hpp>
#include <caf/timespan.hpp>

#include "transport/transport_settings.hpp"

namespace troupe::detail {

class transport_core;

/// The transport of one actor system; stopping it (or its destructor)
/// closes every connection and ends every proxy.
class transport {
public:
  /// Starts the I/O thread. Raises the soft limit on open files to the hard
  /// limit, so that connection caps, not the fd limit, bound a node.
  static caf::expected<std::unique_ptr<transport>>
  start(caf::actor_system& sys, transport_settings settings);

  ~transport();

  /// Accepts connections on `host:port` (port 0: any free port) and offers
  /// `published` to the nodes that connect. Returns the bound port.
  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 const caf::actor& published);

  /// Connects to the node on `host:port` (or uses the connection it has)
  /// and returns its published actor; blocks for at most `timeout`.
  caf::expected<caf::actor> connect(const std::string& host, uint16_t port,
                                    caf::timespan timeout);

  /// An actor with the interface of CAF's middleman actor for connecting:
  /// `(connect_atom, std::string host, uint16_t port)` answers
  /// `(node_id, strong_actor_ptr, std::set<std::string>)` or an error.
  caf::actor connector() const;

  /// Messages to `local` whose sender claims to be an actor of this node
  /// are dropped: only local senders may use its local-only requests, and a
  /// peer cannot send in their name.
  void protect(const caf::actor& local);

  /// Answers the member name a node's certificate proves (TLS; empty for
  /// a node without a connection or without TLS). Safe to call after the
  /// transport is gone (then it answers empty).
  std::function<std::string(const caf::node_id&)> identities() const;

  /// The member name this node's own certificate proves, or empty.
  std::string own_certified_name() const;

  /// A handle to actor `aid` of node `nid` (a proxy): what a message that
  /// names that actor carries. For tests that play a peer addressing
  /// arbitrary actor ids.
  caf::actor proxy_of(const caf::node_id& nid, caf::actor_id aid) const;

  /// Closes the connections to a node (`why` is logged): its proxies here
  /// end with remote_link_unreachable (links and monitors fire, pending
  /// requests fail), as if it had gone away; a later dial connects again.
  /// Safe to call after the transport is gone (then it does nothing).
  std::function<void(const caf::node_id&, const std::string&)>
  disconnector() const;

  /// Closes everything; idempotent.
  void stop();

  /// Counters since start, for logs, tests and metrics.
  struct counters {
    uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    uint64_t refused_handshakes = 0, dropped_messages = 0;
    uint64_t connections = 0;
  };
  counters stats() const;

  /// One peer node with a connection now: its counters since its first
  /// connection (all of them together) and its buffers at this moment.
  struct peer_counters {
    caf::node_id node;
    uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    uint64_t dropped = 0;
    uint64_t pending_bytes = 0; ///< waiting to be written to it
    uint64_t inbound_bytes = 0; ///< its messages unhandled in local mailboxes
  };
  /// Every peer node that has a connection (a node whose last connection
  /// closed is forgotten: its counts stay in stats() only).
  std::vector<peer_counters> peer_stats() const;

  /// The limits the buffers above fill up to (troupe.max-pending-bytes,
  /// troupe.max-inbound-bytes), per connection.
  std::pair<uint64_t, uint64_t> buffer_limits() const;

private:
  explicit transport(std::shared_ptr<transport_core> core);
  std::shared_ptr<transport_core> core_;
  caf::actor connector_;
};

} // namespace troupe::detail
