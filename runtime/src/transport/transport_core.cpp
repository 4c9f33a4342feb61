#include "transport/transport_core.hpp"

#include <caf/actor_registry.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_actor.hpp>

#include "transport/io_loop.hpp"
#include "transport/proxy.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

/// Messages waiting for a connection to their node, at most.
constexpr size_t max_waiting = 10000;

} // namespace

transport_core::transport_core(caf::actor_system& sys,
                               transport_settings settings)
  : sys_(sys), settings_(std::move(settings)), proxies_(sys, *this),
    ctx_(&sys) {
  ctx_.proxy_registry_ptr(&proxies_);
}

transport_core::~transport_core() {
  stop();
}

void transport_core::start_io() {
  io_ = std::make_unique<io_loop>(*this);
  io_->start();
}

void transport_core::stop() {
  if (stopped_.exchange(true))
    return;
  if (io_)
    io_->stop();
  std::unordered_map<caf::node_id, peer> peers;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    peers.swap(peers_);
    for (auto& [node, p] : peers)
      retire(p);
  }
  for (auto& [node, p] : peers)
    for (auto& [aid, what] : p.waiting)
      bounce(*what, caf::exit_reason::remote_link_unreachable);
  proxies_.clear();
}

namespace {

/// Adds what a peer's connections counted to `c` (the totals).
void add_traffic(transport::counters& c, const peer_traffic& t) {
  c.frames_in += t.frames_in.load(std::memory_order_relaxed);
  c.frames_out += t.frames_out.load(std::memory_order_relaxed);
  c.bytes_in += t.bytes_in.load(std::memory_order_relaxed);
  c.bytes_out += t.bytes_out.load(std::memory_order_relaxed);
}

} // namespace

void transport_core::retire(const peer& p) {
  if (p.traffic)
    add_traffic(retired_, *p.traffic);
}

transport::counters transport_core::stats() const {
  transport::counters c;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    c = retired_;
    for (auto& [node, p] : peers_)
      if (p.traffic)
        add_traffic(c, *p.traffic);
  }
  c.bytes_in += bytes_in.load(std::memory_order_relaxed);
  c.refused_handshakes = refused;
  c.dropped_messages = dropped;
  c.connections = connections_made;
  return c;
}

std::vector<transport::peer_counters> transport_core::peer_stats() const {
  std::vector<transport::peer_counters> out;
  std::lock_guard<std::mutex> guard{mtx_};
  out.reserve(peers_.size());
  for (auto& [node, p] : peers_) {
    if (!p.traffic || p.conns.empty())
      continue;
    auto& t = *p.traffic;
    transport::peer_counters x;
    x.node = node;
    x.frames_in = t.frames_in.load(std::memory_order_relaxed);
    x.frames_out = t.frames_out.load(std::memory_order_relaxed);
    x.bytes_in = t.bytes_in.load(std::memory_order_relaxed);
    x.bytes_out = t.bytes_out.load(std::memory_order_relaxed);
    x.dropped = t.dropped.load(std::memory_order_relaxed);
    for (auto& c : p.conns) {
      x.pending_bytes += c->waiting_bytes();
      if (c->inbound)
        x.inbound_bytes += c->inbound->bytes.load(std::memory_order_relaxed);
    }
    out.push_back(std::move(x));
  }
  return out;
}

caf::strong_actor_ptr transport_core::make_proxy(caf::node_id nid,
                                                 caf::actor_id aid) {
  // A null handle in a message arrives as (invalid node, id 0): it stays
  // null, as on BASP (a proxy of it turned a withdrawn name into a bogus
  // registration on the receiving node).
  if (!nid || aid == caf::invalid_actor_id)
    return nullptr;
  caf::actor_config cfg;
  auto result = caf::make_actor<remote_proxy, caf::strong_actor_ptr>(
    aid, nid, &sys_, cfg, weak_from_this());
  // Ask the node to tell us when the actor ends: monitors, links and
  // request fail-fast of local actors depend on it.
  send_control(nid, wire::kind::monitor, aid, 0);
  return result;
}

void transport_core::bounce(caf::mailbox_element& what, caf::error reason) {
  if (!what.mid.is_request() || !what.sender)
    return;
  what.sender->enqueue(caf::make_mailbox_element(nullptr,
                                                 what.mid.response_id(), {},
                                                 std::move(reason)),
                       nullptr);
}

caf::error transport_core::encode_message(std::vector<char>& out,
                                          caf::actor_id aid,
                                          caf::mailbox_element& what) {
  auto at = wire::begin_frame(out, wire::kind::message);
  wire::put_u64(out, aid);
  wire::put_u64(out, what.mid.integer_value());
  caf::binary_serializer sink{sys_, out};
  if (auto err = sink(what.sender))
    return err;
  // As a message (type names, then values): a bare tuple has no names.
  if (auto err = caf::message::save(sink, what.content()))
    return err;
  wire::end_frame(out, at);
  if (out.size() - at - wire::header_size > settings_.max_frame_size)
    return make_error(errc::message_too_large,
                      "a message of " + std::to_string(out.size() - at)
                        + " bytes; the limit is "
                        + std::to_string(settings_.max_frame_size)
                        + " (troupe.max-frame-size)");
  return caf::none;
}

std::shared_ptr<connection>
transport_core::send_message(const caf::node_id& node, caf::actor_id aid,
                             caf::mailbox_element_ptr what,
                             std::shared_ptr<connection> via) {
  if (!what->stages.empty()) {
    limiter_.warning("stages", "transport",
                     "a message with a forwarding stack cannot cross nodes "
                     "(troupe's transport does not route): dropped");
    bounce(*what, caf::sec::invalid_argument);
    return nullptr;
  }
  auto conn = std::move(via);
  if (!conn) {
    std::lock_guard<std::mutex> guard{mtx_};
    conn = route(node);
    if (!conn && !stopped_) {
      auto& p = waiting_peer(node);
      if (p.waiting.size() < max_waiting) {
        p.waiting.emplace_back(aid, std::move(what));
        return nullptr;
      }
    }
  }
  if (!conn) {
    count_drop(nullptr);
    limiter_.warning("no-route", "transport",
                     "a message for a node without a connection was dropped "
                     "(too many are waiting for it)");
    bounce(*what, caf::exit_reason::remote_link_unreachable);
    return nullptr;
  }
  thread_local std::vector<char> buf;
  buf.clear();
  if (auto err = encode_message(buf, aid, *what)) {
    count_drop(conn.get());
    limiter_.warning("encode", "transport",
                     "cannot send a message to " + conn->address() + ": "
                       + render(err));
    bounce(*what, std::move(err));
    return conn;
  }
  switch (conn->write(buf.data(), buf.size(), settings_.max_pending_bytes,
                      io_->spinning())) {
    case connection::write_result::deferred:
      peer_traffic::add(conn->traffic->frames_out, 1);
      peer_traffic::add(conn->traffic->bytes_out, buf.size());
      io_->defer_flush(conn);
      return conn;
    case connection::write_result::done:
    case connection::write_result::queued:
      peer_traffic::add(conn->traffic->frames_out, 1);
      peer_traffic::add(conn->traffic->bytes_out, buf.size());
      if (conn->blocked())
        io_->wake_for_write(conn);
      return conn;
    case connection::write_result::full:
      count_drop(conn.get());
      limiter_.warning("full:" + conn->address(), "transport",
                       "dropped a message to " + conn->address() + ": "
                         + std::to_string(settings_.max_pending_bytes)
                         + " bytes already wait for it "
                           "(troupe.max-pending-bytes); the peer reads too slowly");
      bounce(*what, make_error(errc::peer_overloaded,
                               "the connection to " + conn->address()
                                 + " is full"));
      return conn;
    case connection::write_result::closed:
      bounce(*what, caf::exit_reason::remote_link_unreachable);
      return nullptr;
  }
  return conn;
}

void transport_core::send_control(const caf::node_id& node, wire::kind k,
                                  uint64_t a, uint64_t b) {
  std::shared_ptr<connection> conn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    conn = route(node);
    if (!conn && !stopped_) {
      auto& p = waiting_peer(node);
      if (p.controls.size() < max_waiting)
        p.controls.push_back({k, {a, b}});
      return;
    }
  }
  if (!conn)
    return;
  std::vector<char> buf;
  auto at = wire::begin_frame(buf, k);
  wire::put_u64(buf, a);
  if (k != wire::kind::monitor)
    wire::put_u64(buf, b);
  wire::end_frame(buf, at);
  write_control(conn, buf);
}

std::shared_ptr<connection> transport_core::route(const caf::node_id& node) {
  auto i = peers_.find(node);
  if (i == peers_.end() || i->second.conns.empty())
    return nullptr;
  return i->second.conns.front();
}

transport_core::peer& transport_core::waiting_peer(const caf::node_id& node) {
  // A handle of a node we have no connection to (yet): the node layer
  // connects to every member, so wait for it, but not for ever.
  auto& p = peers_[node];
  if (p.waiting.empty() && p.controls.empty())
    p.wait_until = std::chrono::steady_clock::now() + settings_.connect_wait;
  return p;
}

void transport_core::write_control(const std::shared_ptr<connection>& conn,
                                   const std::vector<char>& frame) {
  // Control frames are small and must not be lost to backpressure.
  conn->write(frame.data(), frame.size(), settings_.max_pending_bytes * 2);
  if (conn->blocked())
    io_->wake_for_write(conn);
}

void transport_core::send_down(const caf::node_id& node, caf::actor_id aid,
                               const caf::error& reason) {
  std::shared_ptr<connection> conn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    conn = route(node);
    if (!conn)
      return;
    peers_[node].monitored.erase(aid);
  }
  std::vector<char> buf;
  auto at = wire::begin_frame(buf, wire::kind::down);
  wire::put_u64(buf, aid);
  caf::binary_serializer sink{sys_, buf};
  auto copy = reason;
  if (sink(copy))
    return;
  wire::end_frame(buf, at);
  write_control(conn, buf);
}

std::string transport_core::certified_name(const caf::node_id& node) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = peers_.find(node);
  if (i == peers_.end() || i->second.conns.empty())
    return {};
  return i->second.conns.front()->peer_name;
}

bool transport_core::add_route(const std::shared_ptr<connection>& c,
                               std::string& why) {
  std::vector<std::pair<caf::actor_id, caf::mailbox_element_ptr>> waiting;
  std::vector<std::pair<wire::kind, std::pair<uint64_t, uint64_t>>> controls;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& p = peers_[c->peer_node];
    if (!p.conns.empty() && p.conns.front()->peer_name != c->peer_name) {
      why = "its certificate names " + c->peer_name + ", but its node id "
            + to_string(c->peer_node) + " belongs to "
            + p.conns.front()->peer_name;
      return false;
    }
    if (!p.traffic)
      p.traffic = std::make_shared<peer_traffic>();
    c->traffic = p.traffic;
    p.conns.push_back(c);
    if (p.conns.size() > 1)
      return true;
    waiting.swap(p.waiting);
    controls.swap(p.controls);
  }
  for (auto& [k, args] : controls)
    send_control(c->peer_node, k, args.first, args.second);
  for (auto& [aid, what] : waiting)
    send_message(c->peer_node, aid, std::move(what));
  return true;
}

void transport_core::remove_route(const std::shared_ptr<connection>& c) {
  if (!c->peer_node)
    return;
  bool lost = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = peers_.find(c->peer_node);
    if (i == peers_.end())
      return;
    auto& conns = i->second.conns;
    auto pos = std::find(conns.begin(), conns.end(), c);
    if (pos == conns.end())
      return;
    conns.erase(pos);
    if (conns.empty()) {
      lost = true;
      retire(i->second);
      peers_.erase(i);
    }
  }
  if (lost)
    proxies_.erase(c->peer_node); // remote_link_unreachable for each proxy
}

void transport_core::expire_waiting(std::chrono::steady_clock::time_point now) {
  std::vector<std::pair<caf::node_id, peer>> expired;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto i = peers_.begin(); i != peers_.end();) {
      if (i->second.conns.empty() && now >= i->second.wait_until) {
        retire(i->second);
        expired.emplace_back(i->first, std::move(i->second));
        i = peers_.erase(i);
      } else {
        ++i;
      }
    }
  }
  for (auto& [node, p] : expired) {
    if (!p.waiting.empty())
      limiter_.warning("unreachable", "transport",
                       std::to_string(p.waiting.size())
                         + " messages for a node this one has no connection "
                           "to were dropped after waiting "
                         + std::to_string(std::chrono::duration_cast<
                                            std::chrono::seconds>(
                                            settings_.connect_wait)
                                            .count())
                         + " s");
    for (auto& [aid, what] : p.waiting)
      bounce(*what, caf::exit_reason::remote_link_unreachable);
    proxies_.erase(node);
  }
}

} // namespace troupe::detail
