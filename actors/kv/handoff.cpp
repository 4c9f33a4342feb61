// The kv coordinator's handoff state machine (see coordinator_state.hpp):
// a joining replica gets, page by page from every serving replica, the
// entries it will own, before it counts for any quorum.

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include <troupe/rpc.hpp>

#include "kv/coordinator_state.hpp"
#include "kv/kv_protocol.hpp"

namespace troupe::kv::detail {

namespace {

/// The target has every entry: it serves, its node joins the ring, and
/// the next queued handoff starts.
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

} // namespace

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

bool handoff_involves(const coordinator_state& st, const std::string& node) {
  return st.handoff
         && (st.handoff->node == node
             || std::count(st.handoff->sources.begin(),
                           st.handoff->sources.end(), node));
}

} // namespace troupe::kv::detail
