#pragma once
// A replica of the key-value store: one per node, holding the entries of
// every key whose preference list names its node (see hash_ring.hpp). It
// knows nothing of quorums; the coordinator (kv_coordinator.hpp) does.
//
// Protocol (all requests; reply types in brackets):
//   (replica_put_atom, std::string key, uint64_t version, std::string value)
//       [uint64_t]  stores the entry unless the replica holds a newer one
//       (see kv::newer); replies with the version it holds afterwards, which
//       is higher than the one sent if a newer write got there first.
//   (replica_get_atom, std::string key)  [uint64_t version, std::string value]
//       version 0 and an empty value if the key is absent.
//   (merge_atom, std::vector<entry>)  [uint64_t]  stores each entry that is
//       newer than the one held (a handoff's batch); replies how many were.
//   (dump_atom, std::string from, uint32_t limit)  [std::vector<entry>]
//       up to `limit` entries with keys >= `from`, in key order (to page
//       through a replica: the next page starts after the last key; a page
//       shorter than `limit` is the last).
//   (dump_atom, std::string from, uint32_t limit,
//    std::vector<std::string> ring_nodes, std::string owner, uint32_t n)
//       [std::vector<entry>]  the same, restricted to the keys whose
//       preference list of `n` over `ring_nodes` holds `owner`: what a
//       replica joining as `owner` needs (a handoff, see kv_coordinator.hpp).
//   (count_atom)  [uint64_t]  number of keys held.
//
// Lifetime: a replica spawned with an `owner` (its coordinator) monitors it
// and stops when the owner terminates or its node becomes unreachable, so a
// store does not outlive the client that created it on a shared cluster.
//
// Storage is in memory: a replica that dies loses its entries, and gets
// them back from the other replicas through a handoff when it rejoins.
// Replicas never talk to each other: a handoff's pages go through the
// coordinator, which every replica is connected to (CAF relays a handle
// passed between two nodes through a third one unless they are already
// connected, and such relayed paths were seen to drop messages).

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "kv/kv_protocol.hpp"

namespace troupe {
class config;
} // namespace troupe

namespace troupe::kv {

/// Spawns a replica on this node (owner: see the file comment; may be
/// invalid for a replica that lives until it is told to stop).
caf::actor spawn_shard(caf::actor_system& sys, caf::actor owner = {});

/// Exports the replica for remote spawn as `type_name`; its spawn
/// arguments are `caf::make_message(caf::actor owner)`.
void export_shard(troupe::config& cfg,
                  const std::string& type_name = "kv-replica");

} // namespace troupe::kv
