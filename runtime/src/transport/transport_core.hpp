#pragma once
// The transport's shared state: what proxies, the I/O thread and the
// connector actor all use. Internal to runtime/src/transport.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/node_id.hpp>
#include <caf/proxy_registry.hpp>
#include <caf/scoped_execution_unit.hpp>

#include "transport/connection.hpp"
#include "transport/log_limiter.hpp"
#include "transport/transport.hpp"

namespace troupe::detail {

/// Called once a dial ends: the peer's published actor, or why not.
using dial_callback = std::function<void(caf::expected<caf::strong_actor_ptr>)>;

class transport_core : public caf::proxy_registry::backend,
                       public std::enable_shared_from_this<transport_core> {
public:
  transport_core(caf::actor_system& sys, transport_settings settings);
  ~transport_core() override;

  // -- used from any thread ---------------------------------------------------

  caf::actor_system& system() {
    return sys_;
  }
  const transport_settings& settings() const {
    return settings_;
  }

  /// Sends what a proxy of `node`'s actor `aid` received; bounces requests
  /// that cannot be sent (no connection in time, peer overloaded, too large).
  /// `via`: a live connection to `node` the caller knows (skips the lookup).
  /// Returns the connection used, if any.
  std::shared_ptr<connection>
  send_message(const caf::node_id& node, caf::actor_id aid,
               caf::mailbox_element_ptr what,
               std::shared_ptr<connection> via = nullptr);

  /// A control frame (monitor, link, unlink) for `node`; dropped if the node
  /// has no connection (its proxies end anyway).
  void send_control(const caf::node_id& node, wire::kind k, uint64_t a,
                    uint64_t b);

  /// Tells `node` that local actor `aid` ended with `reason`.
  void send_down(const caf::node_id& node, caf::actor_id aid,
                 const caf::error& reason);

  /// Starts a connection to host:port on the I/O thread.
  void dial(const std::string& host, uint16_t port, dial_callback done);

  /// Closes the connections to `nid` (see io_loop::disconnect).
  void disconnect(const caf::node_id& nid, std::string why);

  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 const caf::actor& published);

  void protect(caf::actor_id aid) {
    std::lock_guard<std::mutex> guard{mtx_};
    protected_.insert(aid);
  }
  bool is_protected(caf::actor_id aid) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return protected_.count(aid) > 0;
  }

  void start_io();
  void stop();

  transport::counters stats() const;
  std::vector<transport::peer_counters> peer_stats() const;

  /// The member name `node`'s certificate proves (TLS), or empty.
  std::string certified_name(const caf::node_id& node) const;

  // -- proxy_registry::backend ------------------------------------------------

  caf::strong_actor_ptr make_proxy(caf::node_id nid, caf::actor_id aid) override;
  void set_last_hop(caf::node_id*) override {
    // Every proxy talks to its own node directly: no routes.
  }

  caf::proxy_registry& proxies() {
    return proxies_;
  }

private:
  friend class io_loop;

  struct peer {
    std::vector<std::shared_ptr<connection>> conns; // the first one sends
    // Messages for a node that has no connection yet (its handle came from
    // a third node), with the time they may wait.
    std::vector<std::pair<caf::actor_id, caf::mailbox_element_ptr>> waiting;
    std::vector<std::pair<wire::kind, std::pair<uint64_t, uint64_t>>> controls;
    std::chrono::steady_clock::time_point wait_until{};
    std::unordered_set<caf::actor_id> monitored; // local actors it watches
    // Its counters, shared with its connections; made by the first
    // connection, folded into retired_ when the entry goes.
    std::shared_ptr<peer_traffic> traffic;
  };

  /// With mtx_ held: keeps what a forgotten peer counted in the totals.
  /// A sender that still holds one of its connections may count a frame
  /// after this; that frame is missing from the totals, which never go
  /// down.
  void retire(const peer& p);

  /// Serializes `what` for `aid` into `out` (a frame); an error if it cannot.
  caf::error encode_message(std::vector<char>& out, caf::actor_id aid,
                            caf::mailbox_element& what);

  void bounce(caf::mailbox_element& what, caf::error reason);

  // With mtx_ held: the connection that sends to `node`, or null; and the
  // entry that holds what waits for one (its deadline armed when first used).
  std::shared_ptr<connection> route(const caf::node_id& node);
  peer& waiting_peer(const caf::node_id& node);

  /// Writes a control frame (monitor, link, down), past the pending limit.
  void write_control(const std::shared_ptr<connection>& conn,
                     const std::vector<char>& frame);

  // -- called by the I/O thread -----------------------------------------------

  /// A connection proved itself: route `node`'s traffic through it. With
  /// TLS, a node id stays bound to the certificate name of its first
  /// connection: a connection from another certificate that claims it is
  /// refused (false, `why` says so).
  bool add_route(const std::shared_ptr<connection>& c, std::string& why);
  /// A connection closed; the node is lost if it was the last one.
  void remove_route(const std::shared_ptr<connection>& c);
  /// Gives up on nodes whose waiting messages waited too long.
  void expire_waiting(std::chrono::steady_clock::time_point now);
  /// Handles one authenticated frame from `c`.
  void dispatch(connection& c, const wire::header& hdr, const char* payload);
  void deliver_message(connection& c, const char* payload, size_t size);
  void handle_monitor(connection& c, uint64_t aid);
  void handle_link(connection& c, wire::kind k, uint64_t dst, uint64_t linker);

  caf::actor_system& sys_;
  transport_settings settings_;
  caf::proxy_registry proxies_;
  caf::scoped_execution_unit ctx_; // decodes with proxies_ on the I/O thread

  mutable std::mutex mtx_;
  std::unordered_map<caf::node_id, peer> peers_;
  std::unordered_set<caf::actor_id> protected_;
  transport::counters retired_; // of forgotten peers, with mtx_ held

  std::unique_ptr<class io_loop> io_;
  std::atomic<bool> stopped_{false};
  log_limiter limiter_;

public:
  // Frames and bytes of routed connections count in their peer_traffic;
  // bytes_in here are those read before a connection was routed (the
  // handshake). dropped counts every drop (the peer's too, when known).
  std::atomic<uint64_t> bytes_in{0}, refused{0}, dropped{0},
      connections_made{0};

  /// Counts a drop, in the totals and in the peer's counters if known.
  void count_drop(const connection* c) {
    dropped.fetch_add(1, std::memory_order_relaxed);
    if (c && c->traffic)
      peer_traffic::add(c->traffic->dropped, 1);
  }
};

} // namespace troupe::detail
