#pragma once
// The local stand-in for an actor on another node: a caf::actor_proxy that
// hands what it receives to the transport, as BASP's forwarding_actor_proxy
// hands it to its broker, but without a broker actor in between.

#include <memory>
#include <mutex>

#include <caf/actor_proxy.hpp>

namespace troupe::detail {

class transport_core;
class connection;

class remote_proxy final : public caf::actor_proxy {
public:
  remote_proxy(caf::actor_config& cfg, std::weak_ptr<transport_core> core);

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* ctx) override;

  bool add_backlink(caf::abstract_actor* x) override;
  bool remove_backlink(caf::abstract_actor* x) override;

  void kill_proxy(caf::execution_unit* ctx, caf::error reason) override;

private:
  std::shared_ptr<transport_core> core();

  std::mutex mtx_;
  std::weak_ptr<transport_core> core_;
  // The connection the last message went through: the next one skips the
  // transport's lookup (and its lock) while that connection lives.
  std::weak_ptr<connection> route_;
  bool killed_ = false;
};

} // namespace troupe::detail
