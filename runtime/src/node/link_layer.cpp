#include "node/link_layer.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/settings.hpp>

#include "node/member_directory.hpp"
#include "transport/transport.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"

namespace troupe::detail {

namespace {

std::string transport_option(const config& cfg) {
  return caf::get_or(content(cfg), "troupe.transport", std::string{"native"});
}

bool wants_tls(const config& cfg) {
  return read_tls_files(cfg).any();
}

class basp_link final : public link_layer {
public:
  explicit basp_link(caf::actor_system& sys) : sys_(sys) {
  }
  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 const caf::actor& agent) override {
    return sys_.middleman().publish(agent, port, host.c_str(), true);
  }
  caf::expected<caf::actor> connect(const std::string& host, uint16_t port,
                                    caf::timespan) override {
    return sys_.middleman().remote_actor(host, port);
  }
  caf::actor connector() override {
    return caf::actor_cast<caf::actor>(sys_.middleman().actor_handle());
  }
  void stop() override {
  }
  const char* name() const override {
    return "basp";
  }

private:
  caf::actor_system& sys_;
};

/// The transport's counters, read at scrape time: nothing is added to its
/// hot path. Per peer, a series is labelled with the peer's member name as
/// this node's member directory has it, which is what the cluster agreed
/// on after the peer authenticated, never what its handshake claims. A
/// node with a connection but no entry in the directory (a `troupe status`
/// querying, a node still joining) counts in the totals only, and a peer's
/// series goes when its last connection closes or the member is removed:
/// the peer label set is never larger than the member table.
void collect_transport(const caf::actor_system& sys, const transport& t,
                       std::vector<metrics::sample>& out) {
  auto c = t.stats();
  auto add = [&](const char* name, const char* help, uint64_t v) {
    out.push_back(
        metrics::sample{name, help, true, {}, static_cast<double>(v)});
  };
  auto gauge = [&](const char* name, const char* help, uint64_t v,
                   metrics::labels ls = {}) {
    out.push_back(metrics::sample{name, help, false, std::move(ls),
                                  static_cast<double>(v)});
  };
  add("troupe_transport_messages_in_total", "frames read from peers",
      c.frames_in);
  add("troupe_transport_messages_out_total", "frames written to peers",
      c.frames_out);
  add("troupe_transport_bytes_in_total", "bytes read from peers", c.bytes_in);
  add("troupe_transport_bytes_out_total", "bytes written to peers",
      c.bytes_out);
  add("troupe_transport_refused_handshakes_total",
      "connections refused at the handshake", c.refused_handshakes);
  add("troupe_transport_dropped_messages_total",
      "messages dropped (limits, unauthorized senders)", c.dropped_messages);
  add("troupe_transport_connections_total",
      "connections made (accepted or connected) since start", c.connections);
  auto [pending_limit, inbound_limit] = t.buffer_limits();
  gauge("troupe_transport_pending_limit_bytes",
        "bytes that may wait to be written to one connection "
        "(troupe.max-pending-bytes)",
        pending_limit);
  gauge("troupe_transport_inbound_limit_bytes",
        "bytes of one connection's messages that may wait unhandled in "
        "local mailboxes (troupe.max-inbound-bytes)",
        inbound_limit);
  uint64_t pending = 0, inbound = 0;
  for (auto& p : t.peer_stats()) {
    pending += p.pending_bytes;
    inbound += p.inbound_bytes;
    auto m = find_member(sys, p.node);
    if (!m || m->state == member_state::removed)
      continue;
    auto peer_counter = [&](const char* name, const char* help,
                            const char* direction, uint64_t v) {
      metrics::labels ls{{"peer", m->name}};
      if (direction)
        ls.emplace_back("direction", direction);
      out.push_back(metrics::sample{name, help, true, std::move(ls),
                                    static_cast<double>(v)});
    };
    const char* frames_help = "frames exchanged with a peer member";
    const char* bytes_help = "bytes exchanged with a peer member";
    peer_counter("troupe_transport_peer_frames_total", frames_help, "in",
                 p.frames_in);
    peer_counter("troupe_transport_peer_frames_total", frames_help, "out",
                 p.frames_out);
    peer_counter("troupe_transport_peer_bytes_total", bytes_help, "in",
                 p.bytes_in);
    peer_counter("troupe_transport_peer_bytes_total", bytes_help, "out",
                 p.bytes_out);
    peer_counter("troupe_transport_peer_dropped_total",
                 "messages from or to a peer member that were dropped", nullptr,
                 p.dropped);
    gauge("troupe_transport_peer_pending_bytes",
          "bytes waiting to be written to a peer member", p.pending_bytes,
          {{"peer", m->name}});
    gauge("troupe_transport_peer_inbound_bytes",
          "bytes of a peer member's messages unhandled in local mailboxes",
          p.inbound_bytes, {{"peer", m->name}});
  }
  gauge("troupe_transport_pending_bytes",
        "bytes waiting to be written to peers (all connections)", pending);
  gauge("troupe_transport_inbound_bytes",
        "bytes of peers' messages unhandled in local mailboxes", inbound);
}

class native_link final : public link_layer {
public:
  native_link(caf::actor_system& sys, std::unique_ptr<transport> t)
      : t_(std::move(t)) {
    collector_ = metrics::add_collector(
        [&sys, t = t_.get()](auto& out) { collect_transport(sys, *t, out); });
  }
  ~native_link() override {
    metrics::remove_collector(collector_);
  }
  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 const caf::actor& agent) override {
    return t_->listen(host, port, agent);
  }
  caf::expected<caf::actor> connect(const std::string& host, uint16_t port,
                                    caf::timespan timeout) override {
    return t_->connect(host, port, timeout);
  }
  caf::actor connector() override {
    return t_->connector();
  }
  void stop() override {
    t_->stop();
  }
  std::function<std::string(const caf::node_id&)> identities() override {
    return t_->identities();
  }
  std::function<void(const caf::node_id&, const std::string&)>
  disconnector() override {
    return t_->disconnector();
  }
  std::string own_certified_name() const override {
    return t_->own_certified_name();
  }
  const char* name() const override {
    return "native";
  }

private:
  std::unique_ptr<transport> t_;
  uint64_t collector_ = 0;
};

} // namespace

caf::error link_layer::prepare(config& cfg, caf::timespan heartbeat,
                               caf::timespan down_after) {
  auto which = transport_option(cfg);
  for (auto* given : {&cfg.openssl_certificate, &cfg.openssl_key,
                      &cfg.openssl_passphrase, &cfg.openssl_capath,
                      &cfg.openssl_cafile})
    if (!given->empty())
      return make_error(errc::invalid_config,
                        "an openssl.* option is set, but troupe configures "
                        "TLS itself: give --troupe.tls-cert, --troupe.tls-key "
                        "and --troupe.tls-ca instead (on either transport)");
  if (which == "native")
    return caf::none;
  if (which != "basp")
    return make_error(errc::invalid_config,
                      "--troupe.transport expects native or basp, got \""
                        + which + "\"");
  if (wants_tls(cfg))
    // Tried: CAF 0.17's OpenSSL module (caf::openssl, BASP over TLS) loses
    // and remakes its connections in a loop between two troupe nodes here
    // (about 100 "reconnected" lines a second, members flapping down/up;
    // CAF-0.17-NOTES.md). Refused rather than shipped half-working.
    return make_error(errc::invalid_config,
                      "--troupe.tls-* needs troupe's own transport: CAF "
                      "0.17's BASP over TLS (caf::openssl) does not keep its "
                      "connections; drop --troupe.transport=basp");
  // CAF's own heartbeats are off by default; without them a frozen peer's
  // open socket is never noticed. Every node sets both (a node with a
  // timeout but peers without heartbeats would drop idle, live peers).
  cfg.set("middleman.heartbeat-interval", heartbeat);
  // CAF drops a connection that is silent for this long, which reads as an
  // immediate `down`; leave our own suspicion/down timers to decide first.
  cfg.set("middleman.connection-timeout", 2 * down_after);
  return caf::none;
}

caf::expected<std::unique_ptr<link_layer>>
link_layer::make(caf::actor_system& sys, const config& cfg,
                 const std::string& listen_host) {
  auto which = transport_option(cfg);
  if (which == "basp") {
    if (wants_tls(cfg))
      return make_error(errc::invalid_config,
                        "--troupe.tls-* needs troupe's own transport, not "
                        "--troupe.transport=basp");
    if (!listen_host.empty())
      log::warning("node", "CAF's BASP transport has no authentication: "
                           "anyone who reaches the port can join");
    // BASP resolves a peer's remote_spawn and remote_lookup by name in the
    // registry: without these entries CAF's spawn server (any type added
    // with add_actor_type, past troupe's export list) and config server
    // (every option) are out of a peer's reach. troupe's remote spawn goes
    // through the agent; nothing local looks these names up.
    sys.registry().erase(caf::atom("SpawnServ"));
    sys.registry().erase(caf::atom("ConfigServ"));
    return std::unique_ptr<link_layer>{new basp_link(sys)};
  }
  if (which != "native")
    return make_error(errc::invalid_config,
                      "--troupe.transport expects native or basp, got \""
                        + which + "\"");
  auto settings = read_transport_settings(cfg, listen_host);
  if (!settings)
    return settings.error();
  if (!listen_host.empty() && settings->secret.empty() && !settings->tls)
    log::info("node", "no cluster secret (--troupe.cookie-file) and no TLS: "
                      "peers are not authenticated, which troupe allows on "
                      "loopback only");
  else if (!listen_host.empty() && settings->tls)
    log::info("node", "mutual TLS: peers must present a certificate of the "
                      "cluster's CA; this node is "
                        + settings->tls->own_name());
  bool authenticated = !settings->secret.empty() || settings->tls != nullptr;
  auto t = transport::start(sys, std::move(*settings));
  if (!t)
    return t.error();
  std::unique_ptr<link_layer> result{new native_link(sys, std::move(*t))};
  result->authenticated_ = authenticated;
  return result;
}

} // namespace troupe::detail
