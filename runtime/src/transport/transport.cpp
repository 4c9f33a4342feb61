#include "transport/transport.hpp"

#include <netdb.h>
#include <sys/resource.h>

#include <cstring>
#include <future>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "transport/io_loop.hpp"
#include "transport/transport_core.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

using dial_done_atom = caf::atom_constant<caf::atom("trDialDon")>;

void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

struct connector_state {
  uint64_t next_id = 0;
  using promise = caf::typed_response_promise<caf::node_id, caf::strong_actor_ptr,
                                              std::set<std::string>>;
  std::unordered_map<uint64_t, promise> waiting;
  static constexpr const char* name = "troupe.transport.connector";
};

/// Answers CAF's middleman-style connect requests with the transport's
/// dials; the result comes back from the I/O thread as a message, so the
/// promise is delivered on this actor's own thread.
caf::behavior connector_behavior(caf::stateful_actor<connector_state>* self,
                                 std::weak_ptr<transport_core> weak) {
  return {
    [self, weak](caf::connect_atom, const std::string& host,
                 uint16_t port) -> caf::result<caf::node_id,
                                               caf::strong_actor_ptr,
                                               std::set<std::string>> {
      auto core = weak.lock();
      if (!core)
        return make_error(errc::node_down, "the transport stopped");
      auto id = self->state.next_id++;
      auto rp = self->make_response_promise<caf::node_id, caf::strong_actor_ptr,
                                            std::set<std::string>>();
      self->state.waiting.emplace(id, rp);
      caf::actor me = caf::actor_cast<caf::actor>(self);
      core->dial(host, port, [me, id](caf::expected<caf::strong_actor_ptr> r) {
        if (r)
          caf::anon_send(me, dial_done_atom::value, id, std::move(*r));
        else
          caf::anon_send(me, dial_done_atom::value, id, std::move(r.error()));
      });
      return rp;
    },
    [self](dial_done_atom, uint64_t id, caf::strong_actor_ptr& ptr) {
      auto i = self->state.waiting.find(id);
      if (i == self->state.waiting.end())
        return;
      auto node = ptr ? ptr->node() : caf::node_id{};
      i->second.deliver(std::move(node), std::move(ptr), std::set<std::string>{});
      self->state.waiting.erase(i);
    },
    [self](dial_done_atom, uint64_t id, caf::error& err) {
      auto i = self->state.waiting.find(id);
      if (i == self->state.waiting.end())
        return;
      i->second.deliver(std::move(err));
      self->state.waiting.erase(i);
    },
  };
}

} // namespace

void transport_core::dial(const std::string& host, uint16_t port,
                          dial_callback done) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  auto address = host + ":" + service;
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
      rc != 0 || !res) {
    done(make_error(errc::node_down, "cannot resolve " + host + ": "
                                       + gai_strerror(rc)));
    return;
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  auto len = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);
  if (stopped_) {
    done(make_error(errc::node_down, "the transport stopped"));
    return;
  }
  io_->dial(addr, len, address, std::move(done));
}

caf::expected<uint16_t> transport_core::listen(const std::string& host,
                                               uint16_t port,
                                               const caf::actor& published) {
  protect(published->id());
  return io_->listen(host, port, published);
}

transport::transport(std::shared_ptr<transport_core> core)
  : core_(std::move(core)) {
  connector_ = core_->system().spawn<caf::hidden>(
    connector_behavior, std::weak_ptr<transport_core>{core_});
}

transport::~transport() {
  stop();
}

caf::expected<std::unique_ptr<transport>>
transport::start(caf::actor_system& sys, transport_settings settings) {
  if (!sys.node() || sys.node()->implementation_id()
                        != caf::node_id::default_data::class_id)
    return make_error(errc::invalid_config,
                      "the actor system has no node id: load "
                      "caf::io::middleman in its config (troupe::config does)");
  raise_fd_limit();
  auto core = std::make_shared<transport_core>(sys, std::move(settings));
  core->start_io();
  return std::unique_ptr<transport>{new transport(std::move(core))};
}

caf::expected<uint16_t> transport::listen(const std::string& host,
                                          uint16_t port,
                                          const caf::actor& published) {
  return core_->listen(host, port, published);
}

caf::expected<caf::actor> transport::connect(const std::string& host,
                                             uint16_t port,
                                             caf::timespan timeout) {
  auto result = std::make_shared<std::promise<caf::expected<caf::strong_actor_ptr>>>();
  auto future = result->get_future();
  core_->dial(host, port, [result](caf::expected<caf::strong_actor_ptr> r) {
    result->set_value(std::move(r));
  });
  if (future.wait_for(timeout) != std::future_status::ready)
    return make_error(errc::timeout, "no handshake with " + host + ":"
                                       + std::to_string(port) + " within the timeout");
  auto r = future.get();
  if (!r)
    return r.error();
  return caf::actor_cast<caf::actor>(*r);
}

void transport_core::disconnect(const caf::node_id& nid, std::string why) {
  if (io_ && !stopped_)
    io_->disconnect(nid, std::move(why));
}

std::function<void(const caf::node_id&, const std::string&)>
transport::disconnector() const {
  return [weak = std::weak_ptr<transport_core>{core_}](const caf::node_id& n,
                                                       const std::string& why) {
    if (auto core = weak.lock())
      core->disconnect(n, why);
  };
}

caf::actor transport::connector() const {
  return connector_;
}

void transport::protect(const caf::actor& local) {
  core_->protect(local->id());
}

void transport::stop() {
  if (connector_) {
    caf::anon_send_exit(connector_, caf::exit_reason::user_shutdown);
    connector_ = nullptr;
  }
  core_->stop();
}

transport::counters transport::stats() const {
  return core_->stats();
}

std::vector<transport::peer_counters> transport::peer_stats() const {
  return core_->peer_stats();
}

std::pair<uint64_t, uint64_t> transport::buffer_limits() const {
  return {core_->settings().max_pending_bytes,
          core_->settings().max_inbound_bytes};
}

std::function<std::string(const caf::node_id&)> transport::identities() const {
  return [weak = std::weak_ptr<transport_core>{core_}](const caf::node_id& n) {
    auto core = weak.lock();
    return core ? core->certified_name(n) : std::string{};
  };
}

caf::actor transport::proxy_of(const caf::node_id& nid,
                               caf::actor_id aid) const {
  return caf::actor_cast<caf::actor>(core_->proxies().get_or_put(nid, aid));
}

std::string transport::own_certified_name() const {
  auto& tls = core_->settings().tls;
  return tls ? tls->own_name() : std::string{};
}

} // namespace troupe::detail
