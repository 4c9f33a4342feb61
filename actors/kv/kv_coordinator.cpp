#include "kv/kv_coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include <troupe/errc.hpp>
#include <troupe/rpc.hpp>

#include "kv/hash_ring.hpp"
#include "kv/quorum_op.hpp"

namespace troupe::kv {

namespace {

using handoff_retry_atom = caf::atom_constant<caf::atom("kv_hretry")>;
using clock_type = std::chrono::steady_clock;

/// queued: waits for its handoff (gets no writes yet: the handoff, when it
/// starts, copies everything written before); joining: its handoff runs
/// (gets every write, counts for nothing); serving; down.
enum class replica_state : uint8_t { queued, joining, serving, down };

struct replica_slot {
  caf::actor handle;
  replica_state state = replica_state::down;
};

struct handoff_attempt {
  uint64_t id = 0;
  std::string node;
  hash_ring ring_after; ///< the ring once `node` serves
  std::vector<std::string> sources;
  size_t pending = 0;
  uint64_t entries = 0;
  clock_type::time_point started;
};

struct answer {
  caf::actor replica;
  uint64_t version;
  std::string value;
};

/// One read or write in flight.
struct operation {
  explicit operation(uint32_t needed) : quorum(needed) {
  }
  quorum_op quorum;
  bool write = false;
  std::string key;
  uint64_t version = 0; // write: its version; read: newest seen
  std::string value;    // write: its value; read: newest seen
  std::vector<answer> answers;  // read: who said what, for repair
  std::vector<caf::actor> stale; // read: replicas repaired
  caf::response_promise rp;
};

using operation_ptr = std::shared_ptr<operation>;

struct coordinator_state {
  coordinator_config cfg;
  std::map<std::string, replica_slot> replicas;
  hash_ring ring; ///< nodes whose replica completed a handoff once
  std::deque<std::string> join_queue;
  std::optional<handoff_attempt> handoff;
  uint64_t handoff_ids = 0;
  uint64_t clock = 0;
  uint64_t op_ids = 0;
  std::unordered_map<uint64_t, operation_ptr> ops;
  coordinator_status stats;

  static constexpr const char* name = "kv-coordinator";
};

using coordinator_actor = caf::stateful_actor<coordinator_state>;

void note(coordinator_actor* self, const std::string& text) {
  if (self->state.cfg.on_event)
    self->state.cfg.on_event(text);
}

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

// -- membership of the ring ----------------------------------------------------

void start_next_handoff(coordinator_actor* self);

void complete_handoff(coordinator_actor* self) {
  auto& st = self->state;
  auto h = std::move(*st.handoff);
  st.handoff.reset();
  auto& slot = st.replicas[h.node];
  slot.state = replica_state::serving;
  st.ring.add(h.node);
  ++st.stats.handoffs;
  st.stats.handoff_entries += h.entries;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              clock_type::now() - h.started)
              .count();
  note(self, h.node + ": replica serving (handoff: " + std::to_string(h.entries)
               + " entries from " + std::to_string(h.sources.size())
               + " replicas in " + std::to_string(ms) + " ms)");
  start_next_handoff(self);
}

/// Gives up the running handoff; its target waits for a retry if alive.
void abort_handoff(coordinator_actor* self, const std::string& why) {
  auto& st = self->state;
  auto node = st.handoff->node;
  st.handoff.reset();
  auto& slot = st.replicas[node];
  if (slot.state == replica_state::joining) {
    slot.state = replica_state::queued;
    st.join_queue.push_front(node);
    note(self, node + ": handoff failed (" + why + "); retrying");
    self->delayed_send(self, st.cfg.handoff_retry, handoff_retry_atom::value);
    return;
  }
  start_next_handoff(self);
}

/// True if handoff `id` is still the one running.
bool current_handoff(coordinator_actor* self, uint64_t id) {
  return self->state.handoff && self->state.handoff->id == id;
}

/// Copies the next page of `src`'s entries that the joining replica will
/// own (keys from `from` on) into it; then the page after, until the last.
void copy_page(coordinator_actor* self, uint64_t id, const std::string& src,
               std::string from) {
  auto& st = self->state;
  auto& h = *st.handoff;
  auto source = st.replicas[src].handle;
  auto target = st.replicas[h.node].handle;
  auto deadline = st.cfg.handoff_deadline;
  auto limit = st.cfg.handoff_page;
  auto fail = [self, id, src](const caf::actor& who, const caf::error& err) {
    if (current_handoff(self, id))
      abort_handoff(self, "from " + src + ": "
                            + render(troupe::rpc::classify(err, who)));
  };
  self
    ->request(source, deadline, dump_atom::value, std::move(from), limit,
              h.ring_after.nodes(), h.node, st.cfg.n)
    .then(
      [self, id, src, target, deadline, limit,
       fail](std::vector<entry>& page) {
        if (!current_handoff(self, id))
          return;
        bool last = page.size() < limit;
        auto next = page.empty() ? std::string{} : page.back().key + '\0';
        auto size = page.size();
        if (size == 0) {
          if (--self->state.handoff->pending == 0)
            complete_handoff(self);
          return;
        }
        self->request(target, deadline, merge_atom::value, std::move(page))
          .then(
            [self, id, src, last, next, size](uint64_t) {
              if (!current_handoff(self, id))
                return;
              self->state.handoff->entries += size;
              if (!last)
                copy_page(self, id, src, next);
              else if (--self->state.handoff->pending == 0)
                complete_handoff(self);
            },
            [fail, target](caf::error& err) { fail(target, err); });
      },
      [fail, source](caf::error& err) { fail(source, err); });
}

void start_next_handoff(coordinator_actor* self) {
  auto& st = self->state;
  while (!st.handoff && !st.join_queue.empty()) {
    auto node = st.join_queue.front();
    st.join_queue.pop_front();
    auto& slot = st.replicas[node];
    if (slot.state != replica_state::queued)
      continue;
    handoff_attempt h;
    h.id = ++st.handoff_ids;
    h.node = node;
    h.ring_after = st.ring;
    h.ring_after.add(node);
    h.started = clock_type::now();
    for (auto& [name, other] : st.replicas)
      if (name != node && other.state == replica_state::serving)
        h.sources.push_back(name);
    h.pending = h.sources.size();
    slot.state = replica_state::joining;
    st.handoff = std::move(h);
    if (st.handoff->sources.empty()) {
      complete_handoff(self); // nothing to copy from (the first replica)
      return;
    }
    // The first page requests go after every write issued so far: each
    // source applies those before it answers (messages between two actors
    // keep their order). Later writes go to the new replica itself.
    for (auto& src : st.handoff->sources)
      copy_page(self, st.handoff->id, src, std::string{});
  }
}

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
  if (st.handoff
      && (st.handoff->node == node
          || std::count(st.handoff->sources.begin(),
                        st.handoff->sources.end(), node)))
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
