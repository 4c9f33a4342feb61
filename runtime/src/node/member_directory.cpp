#include "node/member_directory.hpp"

#include <algorithm>
#include <map>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "troupe/node.hpp"

namespace troupe::detail {

namespace {

bool same(const directory_entry& x, const directory_entry& y) {
  return x.node == y.node && x.name == y.name && x.state == y.state;
}

struct directories {
  std::mutex mtx;
  std::map<const caf::actor_system*, std::shared_ptr<member_directory>> by_sys;
};

directories& all() {
  static directories instance;
  return instance;
}

std::shared_ptr<member_directory> directory_of(const caf::actor_system& sys) {
  auto& d = all();
  std::lock_guard<std::mutex> guard{d.mtx};
  auto i = d.by_sys.find(&sys);
  return i == d.by_sys.end() ? nullptr : i->second;
}

} // namespace

bool member_directory::assign(std::vector<directory_entry> xs) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (std::equal(xs.begin(), xs.end(), entries_.begin(), entries_.end(), same))
    return false;
  entries_.swap(xs);
  return true;
}

std::optional<directory_entry>
member_directory::find(const caf::node_id& nid) const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& x : entries_)
    if (x.node == nid)
      return x;
  return std::nullopt;
}

void publish_directory(const caf::actor_system& sys,
                       std::shared_ptr<member_directory> dir) {
  auto& d = all();
  std::lock_guard<std::mutex> guard{d.mtx};
  if (dir)
    d.by_sys[&sys] = std::move(dir);
  else
    d.by_sys.erase(&sys);
}

std::optional<directory_entry> find_member(const caf::actor_system& sys,
                                           const caf::node_id& nid) {
  if (!nid)
    return std::nullopt;
  auto dir = directory_of(sys);
  return dir ? dir->find(nid) : std::nullopt;
}

bool known_lost(const caf::actor_system& sys, const caf::node_id& nid) {
  auto x = find_member(sys, nid);
  return x
         && (x->state == member_state::down
             || x->state == member_state::removed);
}

} // namespace troupe::detail

namespace troupe {

std::optional<std::string> member_name_of(const caf::actor_system& sys,
                                          const caf::node_id& nid) {
  if (auto x = detail::find_member(sys, nid))
    return x->name;
  return std::nullopt;
}

std::optional<std::string> member_name_of(const caf::actor_system& sys,
                                          const caf::actor& handle) {
  if (!handle)
    return std::nullopt;
  return member_name_of(sys, handle.node());
}

} // namespace troupe
