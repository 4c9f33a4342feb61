#include "kv/kv_coordinator.hpp"

// The quorum path of the kv coordinator: planning, sending and deciding
// reads and writes, read repair, and replicas going down. Its state and
// the handoff state machine are in coordinator_state.hpp and handoff.cpp.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include <troupe/errc.hpp>
#include <troupe/rpc.hpp>

#include "kv/coordinator_state.hpp"

namespace troupe::kv {

namespace {

using namespace detail;

uint64_t next_version(coordinator_state& st) {
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  st.clock = std::max(st.clock + 1, static_cast<uint64_t>(now));
  return st.clock;
}

struct target {
  std::string node;
  caf::actor handle;
  bool counted;
};

/// The replicas an operation on `key` goes to, or no_quorum.
caf::expected<std::vector<target>> plan(coordinator_actor* self,
                                        const std::string& key, bool write) {
  auto& st = self->state;
  std::vector<target> result;
  uint32_t live = 0;
  std::string missing;
  for (auto& name : st.ring.replicas(key, st.cfg.n)) {
    auto& slot = st.replicas[name];
    if (slot.state == replica_state::serving) {
      result.push_back(target{name, slot.handle, true});
      ++live;
      continue;
    }
    missing += (missing.empty() ? "" : ", ") + name + " "
               + (slot.state == replica_state::down ? "down" : "joining");
    if (write && slot.state == replica_state::joining)
      result.push_back(target{name, slot.handle, false});
  }
  // A node new to the ring gets the writes of the keys it will own.
  if (write && st.handoff && !st.ring.contains(st.handoff->node)
      && st.handoff->ring_after.owns(st.handoff->node, key, st.cfg.n))
    result.push_back(
      target{st.handoff->node, st.replicas[st.handoff->node].handle, false});
  auto needed = write ? st.cfg.w : st.cfg.r;
  if (live < needed)
    return make_error(errc::no_quorum,
                      "key \"" + key + "\": " + std::to_string(live)
                        + " replicas serving (" + missing + "), a "
                        + (write ? "write" : "read") + " needs "
                        + std::to_string(needed));
  return result;
}

void finish_if_settled(coordinator_actor* self, uint64_t id,
                       const operation_ptr& op) {
  if (op->quorum.settled())
    self->state.ops.erase(id);
}

/// Sends the newest entry of a decided read to `replica` (no reply wanted).
void repair(coordinator_actor* self, const operation_ptr& op,
            const caf::actor& replica) {
  if (std::find(op->stale.begin(), op->stale.end(), replica) != op->stale.end())
    return;
  op->stale.push_back(replica);
  ++self->state.stats.read_repairs;
  caf::anon_send(replica, replica_put_atom::value, op->key, op->version,
                 op->value);
}

void deliver(coordinator_actor* self, const operation_ptr& op,
             quorum_op::decision d) {
  if (d == quorum_op::decision::failed) {
    op->rp.deliver(op->quorum.error());
    return;
  }
  if (d != quorum_op::decision::reached)
    return;
  if (op->write) {
    op->rp.deliver(op->version);
    return;
  }
  op->rp.deliver(op->version, op->value);
  for (auto& a : op->answers)
    if (newer(op->version, op->value, a.version, a.value))
      repair(self, op, a.replica);
}

void on_success(coordinator_actor* self, uint64_t id, const operation_ptr& op,
                const target& t) {
  auto d = op->quorum.succeeded(t.node);
  if (!d)
    return;
  deliver(self, op, *d);
  finish_if_settled(self, id, op);
}

void on_failure(coordinator_actor* self, uint64_t id, const operation_ptr& op,
                const std::string& node, const caf::error& err) {
  auto d = op->quorum.failed(node, err);
  if (!d)
    return;
  deliver(self, op, *d);
  finish_if_settled(self, id, op);
}

void dispatch(coordinator_actor* self, const operation_ptr& op,
              const std::vector<target>& targets) {
  auto& st = self->state;
  auto id = ++st.op_ids;
  for (auto& t : targets)
    op->quorum.expect(t.node, t.counted);
  st.ops.emplace(id, op);
  auto deadline = st.cfg.replica_deadline;
  for (auto& t : targets) {
    auto on_error = [self, id, op, t](caf::error& err) {
      on_failure(self, id, op, t.node, troupe::rpc::classify(err, t.handle));
    };
    if (op->write) {
      self
        ->request(t.handle, deadline, replica_put_atom::value, op->key,
                  op->version, op->value)
        .then(
          [self, id, op, t](uint64_t held) {
            // A newer write of another coordinator: keep our clock ahead.
            self->state.clock = std::max(self->state.clock, held);
            on_success(self, id, op, t);
          },
          on_error);
    } else {
      self->request(t.handle, deadline, replica_get_atom::value, op->key)
        .then(
          [self, id, op, t](uint64_t version, std::string& value) {
            if (op->quorum.waits_for(t.node)) {
              if (op->quorum.state() == quorum_op::decision::pending) {
                op->answers.push_back(answer{t.handle, version, value});
                if (newer(version, value, op->version, op->value)) {
                  op->version = version;
                  op->value = std::move(value);
                }
              } else if (newer(op->version, op->value, version, value)) {
                repair(self, op, t.handle); // a late, stale answer
              }
            }
            on_success(self, id, op, t);
          },
          on_error);
    }
  }
}

// -- membership of the ring (the handoffs are in handoff.cpp) ----------------

void mark_down(coordinator_actor* self, const std::string& node,
               const std::string& why) {
  auto& st = self->state;
  auto& slot = st.replicas[node];
  slot.state = replica_state::down;
  slot.handle = nullptr;
  note(self, node + ": replica down (" + why + ")");
  // Requests waiting for it fail now, not at their deadline.
  auto err = troupe::make_error(troupe::errc::node_down,
                                "replica on " + node + " is down");
  std::vector<std::pair<uint64_t, operation_ptr>> affected;
  for (auto& [id, op] : st.ops)
    if (op->quorum.waits_for(node))
      affected.emplace_back(id, op);
  for (auto& [id, op] : affected)
    on_failure(self, id, op, node, err);
  if (handoff_involves(st, node))
    abort_handoff(self, "replica on " + node + " went down");
}

caf::behavior coordinator(coordinator_actor* self, coordinator_config cfg) {
  self->state.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [name, slot] : self->state.replicas)
      if (slot.handle && slot.handle.address() == dm.source) {
        mark_down(self, name, render(dm.reason));
        return;
      }
  });
  return {
    [self](put_atom, std::string& key,
           std::string& value) -> caf::result<uint64_t> {
      if (key.empty())
        return make_error(errc::invalid_key, "empty key");
      auto targets = plan(self, key, true);
      if (!targets)
        return std::move(targets.error());
      auto op = std::make_shared<operation>(self->state.cfg.w);
      op->write = true;
      op->key = std::move(key);
      op->value = std::move(value);
      op->version = next_version(self->state);
      op->rp = self->make_response_promise();
      auto rp = op->rp;
      dispatch(self, op, *targets);
      return rp;
    },
    [self](get_atom,
           std::string& key) -> caf::result<uint64_t, std::string> {
      if (key.empty())
        return make_error(errc::invalid_key, "empty key");
      auto targets = plan(self, key, false);
      if (!targets)
        return std::move(targets.error());
      auto op = std::make_shared<operation>(self->state.cfg.r);
      op->key = std::move(key);
      op->rp = self->make_response_promise();
      auto rp = op->rp;
      dispatch(self, op, *targets);
      return rp;
    },
    [self](join_atom, std::string& node, caf::actor& replica) {
      auto& st = self->state;
      auto& slot = st.replicas[node];
      if (!replica || slot.handle == replica)
        return;
      if (slot.handle) {
        // A new replica for a node whose old one looks alive: the node
        // restarted before we saw it die, or the client replaced it. The
        // old one stops (if it still runs) and counts as down.
        auto old = slot.handle;
        self->demonitor(old);
        self->send_exit(old, caf::exit_reason::user_shutdown);
        mark_down(self, node, "replaced by a new replica");
      }
      auto& fresh = st.replicas[node];
      fresh.handle = replica;
      fresh.state = replica_state::queued;
      self->monitor(replica);
      st.join_queue.push_back(node);
      note(self, node + ": replica joining");
      start_next_handoff(self);
    },
    [self](handoff_retry_atom) { start_next_handoff(self); },
    [self](status_atom) {
      auto& st = self->state;
      auto result = st.stats;
      for (auto& [name, slot] : st.replicas) {
        if (slot.state == replica_state::serving)
          ++result.serving;
        else if (slot.state == replica_state::down) {
          if (st.ring.contains(name))
            ++result.down;
        } else
          ++result.joining;
      }
      return result;
    },
  };
}

} // namespace

caf::error validate(const coordinator_config& cfg) {
  if (cfg.n < 1 || cfg.w < 1 || cfg.r < 1 || cfg.w > cfg.n || cfg.r > cfg.n)
    return troupe::make_error(troupe::errc::invalid_config,
                              "kv quorum: need 1 <= w, r <= n (n="
                                + std::to_string(cfg.n) + ", w="
                                + std::to_string(cfg.w) + ", r="
                                + std::to_string(cfg.r) + ")");
  if (cfg.w + cfg.r <= cfg.n)
    return troupe::make_error(troupe::errc::invalid_config,
                              "kv quorum: w + r must exceed n, or a read can "
                              "miss the latest acknowledged write");
  return {};
}

caf::actor spawn_coordinator(caf::actor_system& sys, coordinator_config cfg) {
  return sys.spawn(coordinator, std::move(cfg));
}

} // namespace troupe::kv
