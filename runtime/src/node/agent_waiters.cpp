// Local requests the agent answers later: `place` once every worker member
// that is up is connected and has sent a heartbeat since (right after a join
// only the seed is connected, and placing then put every child there; a
// connection made while the member dials this node too may still be
// dropped by CAF until the member's heartbeat shows it connected back),
// `await_member` once the member is connected.
// Each has a deadline; the agent re-checks them whenever a connection or a
// member's state changes, at every tick, and at each deadline (wake_atom).

#include <algorithm>

#include "node/agent_state.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

/// Whether `w` can be answered from `xs` now; answers it if so.
bool answer_member_waiter(member_waiter& w, const std::vector<member_info>& xs,
                          std::chrono::steady_clock::time_point now) {
  auto m = std::find_if(xs.begin(), xs.end(),
                        [&](auto& x) { return x.name == w.name; });
  if (m == xs.end())
    w.rp.deliver(make_error(errc::node_down, "no member named " + w.name));
  else if (m->state == member_state::up && m->agent)
    w.rp.deliver(*m);
  else if (m->state != member_state::up && m->state != member_state::joining)
    w.rp.deliver(make_error(errc::node_down,
                            "member " + w.name + " is " + to_string(m->state)));
  else if (now >= w.until)
    w.rp.deliver(make_error(errc::node_down,
                            "member " + w.name
                                + " is up, but this node could "
                                  "not connect to it within the timeout"));
  else
    return false;
  return true;
}

/// Copies who runs where into the directory any thread reads.
void refresh_directory(agent_actor* self) {
  auto& st = self->state;
  if (!st.settings.directory)
    return;
  std::vector<directory_entry> xs;
  xs.reserve(st.members.peers().size() + 1);
  xs.push_back({self->node(), st.members.me().name, st.members.me().state});
  for (auto& [name, p] : st.members.peers())
    if (p.node)
      xs.push_back({p.node, name, p.info.state});
  st.settings.directory->assign(std::move(xs));
}

} // namespace

void serve_waiters(agent_actor* self) {
  auto& st = self->state;
  refresh_directory(self);
  if (st.place_waiters.empty() && st.member_waiters.empty()
      && st.name_waiters.empty())
    return;
  auto now = std::chrono::steady_clock::now();
  std::erase_if(st.name_waiters, [&](auto& w) {
    auto found = st.registry.whereis(w.name);
    if (found)
      w.rp.deliver(std::move(*found));
    else if (now >= w.until)
      w.rp.deliver(make_error(errc::timeout,
                              "no actor was registered as \"" + w.name
                                + "\" within the wait"));
    else
      return false;
    return true;
  });
  auto xs = view(self);
  // Every worker that is up is connected, and has been heard from since.
  auto& peers = st.members.peers();
  bool settled = std::none_of(peers.begin(), peers.end(), [](auto& kvp) {
    auto& p = kvp.second;
    return p.info.state == member_state::up && p.info.hosts_placed_actors()
           && (!p.info.agent || !p.heard_since_connect);
  });
  std::erase_if(st.place_waiters, [&](auto& w) {
    if (!settled && now < w.until)
      return false;
    w.rp.deliver(st.placements.order(w.where, up_workers(xs)));
    return true;
  });
  std::erase_if(st.member_waiters,
                [&](auto& w) { return answer_member_waiter(w, xs, now); });
}

} // namespace troupe::detail
