#pragma once
// Internal to the kv coordinator (not for users of actors/kv): its state,
// shared by the quorum path (kv_coordinator.cpp) and the handoff state
// machine (handoff.cpp).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "kv/hash_ring.hpp"
#include "kv/kv_coordinator.hpp"
#include "kv/quorum_op.hpp"

namespace troupe::kv::detail {

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

/// Tells cfg.on_event (if set) what happened to a replica.
inline void note(coordinator_actor* self, const std::string& text) {
  if (self->state.cfg.on_event)
    self->state.cfg.on_event(text);
}

// -- the handoff state machine (handoff.cpp) ----------------------------------
//
// A replica that joins waits in `join_queue` (queued), then receives its
// handoff (joining): every serving replica pages through the entries the
// joining one will own and merges them into it. When every source is done
// it serves and its node joins the ring. One handoff runs at a time; one
// whose source or target fails is aborted, and retried after
// cfg.handoff_retry while its target lives.

/// Starts the next queued handoff unless one runs.
void start_next_handoff(coordinator_actor* self);

/// Gives up the running handoff; its target waits for a retry if alive.
void abort_handoff(coordinator_actor* self, const std::string& why);

/// True if a handoff runs to or from `node`.
bool handoff_involves(const coordinator_state& st, const std::string& node);

} // namespace troupe::kv::detail
