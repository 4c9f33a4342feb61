#include "demos/kv_deployment.hpp"

#include <algorithm>

#include <caf/exit_reason.hpp>

#include <troupe/troupe.hpp>

namespace troupe::demos::kv {

namespace store = troupe::kv;

void deployment::inbox::push(item x) {
  std::lock_guard<std::mutex> guard{mtx};
  items.push_back(std::move(x));
  cv.notify_all();
}

std::deque<deployment::inbox::item>
deployment::inbox::take(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{mtx};
  cv.wait_for(guard, timeout, [this] { return !items.empty(); });
  return std::exchange(items, {});
}

namespace {

using watch_atom = caf::atom_constant<caf::atom("kv_watch")>;

} // namespace

caf::behavior deployment::watcher(caf::event_based_actor* self,
                                  std::shared_ptr<inbox> box) {
  self->set_down_handler([box](caf::down_msg& dm) {
    inbox::item x;
    x.kind = inbox::item::replica_down;
    x.replica = dm.source;
    x.text = troupe::render(dm.reason);
    x.unreachable = dm.reason == caf::exit_reason::remote_link_unreachable;
    box->push(std::move(x));
  });
  return {
    [self](watch_atom, const caf::actor& replica) { self->monitor(replica); },
    [box](troupe::member_event& ev) {
      inbox::item x;
      x.kind = ev.kind == troupe::member_event::member_up ? inbox::item::up
                                                         : inbox::item::down;
      x.text = "node " + ev.member.name + " " + troupe::to_string(ev.kind);
      x.member = std::move(ev.member);
      box->push(std::move(x));
    },
  };
}

deployment::deployment(demo::demo_cluster& dc, note_fn note)
  : dc_(dc), note_(std::move(note)) {
  store::coordinator_config cfg;
  cfg.on_event = [box = box_](const std::string& text) {
    inbox::item x;
    x.text = text;
    box->push(std::move(x));
  };
  coord_ = store::spawn_coordinator(dc_.sys().actors(), cfg);
  watcher_ = dc_.sys().spawn(watcher, box_);
  dc_.client().subscribe(watcher_);
}

deployment::~deployment() {
  caf::anon_send_exit(watcher_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coord_, caf::exit_reason::user_shutdown);
}

store::coordinator_status deployment::status() {
  auto st = troupe::rpc::call<store::coordinator_status>(
    dc_.sys(), coord_, std::chrono::seconds(5), store::status_atom::value);
  return st ? *st : store::coordinator_status{};
}

size_t deployment::nodes_up() const {
  return std::count_if(workers_.begin(), workers_.end(),
                       [](auto& kvp) { return kvp.second.up; });
}

std::vector<caf::actor> deployment::live_replicas() const {
  std::vector<caf::actor> result;
  for (auto& [name, w] : workers_)
    if (w.up && w.replica)
      result.push_back(w.replica);
  return result;
}

void deployment::pump(std::chrono::milliseconds timeout) {
  for (auto& x : box_->take(timeout)) {
    if (x.kind == inbox::item::note) {
      note_("  " + x.text);
      continue;
    }
    if (x.kind == inbox::item::replica_down) {
      // A replica whose node died goes with the node's member_down.
      if (x.unreachable)
        continue;
      for (auto& [name, w] : workers_)
        if (w.up && w.replica && w.replica.address() == x.replica) {
          note_("  " + name + ": its replica ended (" + x.text
                + ") while the node is up: starting a new one");
          w.replica = nullptr;
        }
      continue;
    }
    if (!x.member.hosts_placed_actors())
      continue;
    auto& w = workers_[x.member.name];
    w.up = x.kind == inbox::item::up;
    if (!w.up) {
      w.replica = nullptr;
      note_("  " + x.text);
    }
  }
  for (auto& [name, w] : workers_)
    if (w.up && !w.replica && clock_type::now() >= w.next_try)
      spawn_replica(name, w);
}

void deployment::spawn_replica(const std::string& name, worker& w) {
  auto r = dc_.client().spawn_on(name, "kv-replica", caf::make_message(coord_),
                                 std::chrono::seconds(5));
  if (!r) {
    w.next_try = clock_type::now() + std::chrono::milliseconds(200);
    if (++w.failures == 10)
      note_("  still no replica on " + name + ": " + troupe::render(r.error()));
    return;
  }
  w.failures = 0;
  w.replica = *r;
  caf::anon_send(watcher_, watch_atom::value, *r);
  caf::anon_send(coord_, store::join_atom::value, name, *r);
}

} // namespace troupe::demos::kv
