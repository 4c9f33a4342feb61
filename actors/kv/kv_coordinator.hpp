#pragma once
// The coordinator of the replicated key-value store: places keys on a
// consistent hash ring of replicas (hash_ring.hpp, one replica per node,
// kv_shard.hpp), and answers reads and writes once a quorum of a key's
// replicas did (N=3 replicas, W=2 acknowledgements, R=2 answers by
// default: W + R > N, so every read meets at least one replica that took
// the latest acknowledged write).
//
// Protocol (requests; reply types in brackets):
//   (put_atom, std::string key, std::string value)  [uint64_t version]
//       The write gets a version higher than every earlier write of this
//       coordinator (max(previous + 1, wall clock in µs)), goes to all live
//       replicas of the key and is acknowledged after W of them stored it.
//   (get_atom, std::string key)  [uint64_t version, std::string value]
//       Asks all live replicas of the key, answers with the newest entry of
//       the first R answers (version 0: absent) and repairs the replicas
//       that answered with an older one (read repair).
//   (join_atom, std::string node, caf::actor replica)  []
//       Adds the replica of `node` (new, or back after a crash with an empty
//       store). It first receives a handoff: the coordinator pages through
//       every serving replica's entries that the new one should hold and
//       merges them into it; meanwhile it gets every write but counts for
//       no quorum. Then it serves (and `node` joins the ring). One handoff
//       runs at a time; a failed one is retried.
//   (status_atom)  [coordinator_status]
// Errors: kv::errc::no_quorum (fewer than W or R live replicas: nothing was
// sent), troupe::errc::timeout or node_down (replicas failed so that the
// quorum cannot be reached; the context names them), kv::errc::invalid_key.
// A failed write may still have been stored by some replicas: it is neither
// acknowledged nor undone (a later read may return it).
//
// Failures: the coordinator monitors every replica. A replica that goes down
// stays in the ring (its keys are not moved; its copies are missing until
// its node rejoins and a handoff refills it); requests waiting for it fail
// at once instead of at their deadline. Every key stays readable and
// writable while at most N - max(W, R) of its replicas are down.
//
// Guarantee: a read through this coordinator returns the latest write it
// acknowledged for the key, or a newer write, possibly one that failed.
// An acknowledged write is on W replicas; it survives as long as one of
// them lives until the replicas that replace the others got it by handoff
// (a handoff copies from every serving replica, and is retried while a
// source fails). With several coordinators, writes are ordered by their
// clocks (last-writer-wins).
//
// Not done (yet): the coordinator is one actor, and its replicas stop with
// it; a node that leaves stays in the ring (its keys are not moved to other
// nodes); handed-off keys are not removed from the replicas that no longer
// own them; storage is in memory.

#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "kv/kv_protocol.hpp"

namespace troupe::kv {

struct coordinator_config {
  /// Replicas per key.
  uint32_t n = 3;
  /// Acknowledgements a write needs.
  uint32_t w = 2;
  /// Answers a read needs.
  uint32_t r = 2;
  /// Deadline of each request to a replica.
  caf::timespan replica_deadline = std::chrono::seconds(1);
  /// Deadline of each step of a handoff (one page from a source, one
  /// merge into the new replica).
  caf::timespan handoff_deadline = std::chrono::seconds(5);
  /// Entries per page of a handoff.
  uint32_t handoff_page = 256;
  /// Wait before a failed handoff is tried again.
  caf::timespan handoff_retry = std::chrono::milliseconds(500);
  /// Called from the coordinator with a sentence for each replica that
  /// joins, serves, goes down or fails a handoff (may be empty).
  std::function<void(const std::string&)> on_event;
};

/// What the coordinator knows about its replicas.
struct coordinator_status {
  uint32_t serving = 0;  ///< live replicas that count for quorums
  uint32_t joining = 0;  ///< replicas waiting for or receiving a handoff
  uint32_t down = 0;     ///< ring members whose replica is gone
  uint64_t handoffs = 0; ///< handoffs completed
  uint64_t handoff_entries = 0; ///< entries copied by completed handoffs
  uint64_t read_repairs = 0;    ///< stale replicas updated by reads
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_status& x) {
  return f(caf::meta::type_name("troupe.kv.coordinator_status"), x.serving,
           x.joining, x.down, x.handoffs, x.handoff_entries, x.read_repairs);
}

/// Checks n, w and r (1 <= w, r <= n; w + r > n); a kv error otherwise.
caf::error validate(const coordinator_config& cfg);

/// Spawns a coordinator on this node. Precondition: validate(cfg) is ok.
caf::actor spawn_coordinator(caf::actor_system& sys, coordinator_config cfg);

} // namespace troupe::kv
