#include "node/cluster_registry.hpp"

#include <caf/actor_addr.hpp>

#include "troupe/errc.hpp"

namespace troupe::detail {

cluster_registry::cluster_registry(std::string self,
                                   std::shared_ptr<registry_mirror> mirror)
    : self_(std::move(self)), mirror_(std::move(mirror)) {}

caf::error cluster_registry::register_local(const std::string& name,
                                            caf::actor handle) {
  auto i = entries_.find(name);
  if (i != entries_.end() && i->second.owner != self_
      && i->second.owner < self_)
    return make_error(errc::name_taken,
                      "\"" + name + "\" is registered by node "
                        + i->second.owner
                        + ", whose name sorts first and wins; choose another "
                          "name, or unregister it on "
                        + i->second.owner + " first");
  entries_[name] = registration{std::move(handle), self_};
  publish();
  return {};
}

void cluster_registry::apply(const std::string& owner, const std::string& name,
                             caf::actor handle) {
  auto i = entries_.find(name);
  if (!handle) {
    if (i != entries_.end() && i->second.owner == owner) {
      entries_.erase(i);
      publish();
    }
    return;
  }
  // Conflicts resolve the same way on every node: the registration of the
  // node whose name sorts first wins.
  if (i == entries_.end() || i->second.owner == owner
      || owner < i->second.owner) {
    entries_[name] = registration{std::move(handle), owner};
    publish();
  }
}

caf::expected<caf::actor>
cluster_registry::whereis(const std::string& name) const {
  auto i = entries_.find(name);
  if (i == entries_.end())
    return make_error(errc::unknown_name,
                      "\"" + name + "\" is not registered in the cluster");
  return i->second.handle;
}

void cluster_registry::erase_owner(const std::string& node) {
  auto n = std::erase_if(entries_,
                         [&](auto& kvp) { return kvp.second.owner == node; });
  if (n > 0)
    publish();
}

void cluster_registry::on_member_event(member_event::kind_t kind,
                                       const std::string& node) {
  if (kind == member_event::member_down || kind == member_event::member_left)
    erase_owner(node);
}

std::vector<std::string>
cluster_registry::erase_local_actor(const caf::actor_addr& who) {
  std::vector<std::string> result;
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->second.owner == self_ && i->second.handle.address() == who) {
      result.push_back(i->first);
      i = entries_.erase(i);
    } else {
      ++i;
    }
  }
  if (!result.empty())
    publish();
  return result;
}

std::vector<std::pair<std::string, caf::actor>> cluster_registry::own() const {
  std::vector<std::pair<std::string, caf::actor>> result;
  for (auto& [name, entry] : entries_)
    if (entry.owner == self_)
      result.emplace_back(name, entry.handle);
  return result;
}

caf::error cluster_registry::unregister_local(const std::string& name) {
  auto i = entries_.find(name);
  if (i == entries_.end())
    return make_error(errc::unknown_name,
                      "\"" + name + "\" is not registered in the cluster");
  if (i->second.owner != self_)
    return make_error(errc::not_allowed,
                      "\"" + name + "\" is registered by node " + i->second.owner
                        + "; only the owner's node can unregister it");
  entries_.erase(i);
  publish();
  return caf::none;
}

void cluster_registry::publish() {
  if (!mirror_)
    return;
  registry_mirror::entries xs;
  xs.reserve(entries_.size());
  for (auto& [name, entry] : entries_)
    xs.emplace(name, entry.handle);
  mirror_->assign(std::move(xs));
}

} // namespace troupe::detail
