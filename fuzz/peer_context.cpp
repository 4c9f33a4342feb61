#include "peer_context.hpp"

#include <caf/actor_system.hpp>
#include <caf/message.hpp>
#include <caf/node_id.hpp>

#include "troupe/config.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/node.hpp"
#include "troupe/system.hpp"

namespace troupe::fuzz {

namespace {

void (*extra_types)(config&) = nullptr;

} // namespace

void peer_context::add_types(void (*fn)(config&)) {
  extra_types = fn;
}

struct peer_context::impl {
  impl() {
    // One worker: the fuzzer is single-threaded, the scheduler idles.
    cfg.set("scheduler.max-threads", 1);
    cfg.set("troupe.log-level", std::string{"quiet"});
    if (extra_types)
      extra_types(cfg);
    node_sys = std::make_unique<troupe::system>(add_node_types(cfg));
  }
  config cfg;
  std::unique_ptr<troupe::system> node_sys;
};

peer_context& peer_context::get() {
  // Never destroyed: libFuzzer exits from inside its loop, and an actor
  // system torn down by a static destructor races its own threads.
  static auto* ctx = new peer_context;
  return *ctx;
}

peer_context::peer_context()
    : impl_(new impl), sys_(&impl_->node_sys->actors()), unit_(sys_),
      proxies_(new caf::proxy_registry(*sys_, *this)) {
  unit_.proxy_registry_ptr(proxies_);
}

peer_context::~peer_context() {
  delete proxies_;
  delete impl_;
}

void peer_context::reset() {
  proxies_->clear();
}

caf::strong_actor_ptr peer_context::make_proxy(caf::node_id, caf::actor_id) {
  return nullptr;
}

void peer_context::set_last_hop(caf::node_id*) {
  // CAF calls this only from the BASP broker's own read loop.
}

int decode_peer_message(const uint8_t* data, size_t size) {
  return decode<std::vector<caf::strong_actor_ptr>, caf::message>(
      data, size, [](auto& xs) {
        auto& msg = std::get<1>(xs);
        // The transport drops what CAF cannot render before anyone sees it
        // (transport/dispatch.cpp); an error's context is rendered with it.
        if (!troupe::detail::renderable(msg))
          return;
        auto& sys = peer_context::get().system();
        for (size_t i = 0; i < msg.size(); ++i)
          if (msg.template match_element<caf::error>(i)) {
            auto& err = msg.template get_as<caf::error>(i);
            if (render(err).empty() || sys.render(err).empty())
              std::abort(); // every error renders as some text
          }
      });
}

} // namespace troupe::fuzz
