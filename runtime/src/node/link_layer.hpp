#pragma once
// What the node layer needs from the link between nodes: listen with the
// agent, connect to a node's agent (blocking, or through a connector actor
// with the interface of CAF's middleman actor), stop. Two links exist:
// troupe's own transport (runtime/src/transport, the default) and CAF's
// BASP middleman (--troupe.transport=basp, to talk to plain CAF programs).

#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "troupe/config.hpp"

namespace troupe::detail {

class link_layer {
public:
  virtual ~link_layer() = default;

  /// The link `cfg` asks for (troupe.transport), for a node that listens on
  /// `listen_host` (empty: a client that only connects). An unknown
  /// transport or an unusable secret is an error naming the option.
  static caf::expected<std::unique_ptr<link_layer>>
  make(caf::actor_system& sys, const config& cfg, const std::string& listen_host);

  /// The option values cfg must carry before the actor system is made
  /// (BASP's heartbeats); errc::invalid_config for an unknown transport.
  static caf::error prepare(config& cfg, caf::timespan heartbeat,
                            caf::timespan down_after);

  virtual caf::expected<uint16_t> listen(const std::string& host,
                                         uint16_t port,
                                         const caf::actor& agent) = 0;
  virtual caf::expected<caf::actor> connect(const std::string& host,
                                            uint16_t port,
                                            caf::timespan timeout) = 0;
  /// `(connect_atom, host, port) -> (node_id, strong_actor_ptr, set<string>)`.
  virtual caf::actor connector() = 0;
  virtual void stop() = 0;
  /// The member name a node's certificate proves (mutual TLS on troupe's
  /// transport), or empty: BASP binds no name to a connection.
  virtual std::function<std::string(const caf::node_id&)> identities() {
    return [](const caf::node_id&) { return std::string{}; };
  }
  /// The name this node's own certificate proves, or empty.
  virtual std::string own_certified_name() const {
    return {};
  }
  /// Closes the connections to a node (troupe's transport: its proxies end
  /// with remote_link_unreachable). BASP: does nothing, CAF 0.17 closes a
  /// connection only on its own heartbeat timeout.
  virtual std::function<void(const caf::node_id&, const std::string&)>
  disconnector() {
    return [](const caf::node_id&, const std::string&) {};
  }
  /// "native" or "basp", for logs.
  virtual const char* name() const = 0;

  /// Whether every peer proved the cluster secret at its handshake
  /// (troupe's transport with a secret); BASP and no secret: false.
  bool authenticated() const noexcept {
    return authenticated_;
  }

protected:
  bool authenticated_ = false;
};

} // namespace troupe::detail
