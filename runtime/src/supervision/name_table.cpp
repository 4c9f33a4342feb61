#include "supervision/name_table.hpp"
#include "supervision/supervisor_protocol.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

// One table per actor system in this process. Keyed by address because CAF
// has no extension slot for a library's per-system state.
std::mutex registry_mtx;
std::unordered_map<caf::actor_system*, std::shared_ptr<name_table>> registry;

} // namespace

std::shared_ptr<name_table> name_table::of(caf::actor_system& sys) {
  std::lock_guard<std::mutex> guard{registry_mtx};
  auto& ptr = registry[&sys];
  if (!ptr)
    ptr = std::make_shared<name_table>();
  return ptr;
}

void name_table::release(caf::actor_system& sys) {
  std::shared_ptr<name_table> table;
  {
    std::lock_guard<std::mutex> guard{registry_mtx};
    auto i = registry.find(&sys);
    if (i == registry.end())
      return;
    table = std::move(i->second);
    registry.erase(i);
  }
  for (auto& fwd : table->forwarders())
    caf::anon_send_exit(fwd, caf::exit_reason::user_shutdown);
  std::lock_guard<std::mutex> guard{table->mtx_};
  table->entries_.clear();
}

caf::expected<caf::actor> name_table::acquire(caf::actor_system& sys,
                                              const std::string& name,
                                              const caf::actor& owner,
                                              size_t buffer) {
  std::unique_lock<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  if (i != entries_.end()) {
    auto& e = i->second;
    if (e.owner == owner.address())
      return e.forwarder;
    if (!e.orphaned)
      return make_error(errc::name_taken,
                        "stable name \"" + name
                          + "\" is held by another running supervisor; "
                            "choose another name or stop that child first");
    e.owner = owner.address();
    e.orphaned = false;
    auto fwd = e.forwarder;
    guard.unlock();
    // Adoption: the forwarder keeps what it buffered while the subtree that
    // owned the name was being restarted.
    caf::send_as(owner, fwd, adopt_atom::value);
    return fwd;
  }
  auto fwd = spawn_name_forwarder(sys, name, owner, buffer, shared_from_this());
  entries_.emplace(name, entry{fwd, owner.address(), false});
  return fwd;
}

void name_table::orphan(const std::string& name, const caf::actor_addr& owner) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  if (i != entries_.end() && i->second.owner == owner)
    i->second.orphaned = true;
}

void name_table::orphan_all(const caf::actor_addr& owner) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& kvp : entries_)
    if (kvp.second.owner == owner)
      kvp.second.orphaned = true;
}

void name_table::erase(const std::string& name,
                       const caf::actor_addr& forwarder) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  if (i != entries_.end() && i->second.forwarder.address() == forwarder)
    entries_.erase(i);
}

caf::actor name_table::find(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  return i != entries_.end() ? i->second.forwarder : caf::actor{};
}

caf::actor_addr name_table::owner_of(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  return i != entries_.end() ? i->second.owner : caf::actor_addr{};
}

std::vector<caf::actor> name_table::forwarders() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<caf::actor> result;
  for (auto& kvp : entries_)
    result.push_back(kvp.second.forwarder);
  return result;
}

} // namespace troupe::detail
