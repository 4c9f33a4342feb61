#pragma once
// A durable, at-least-once work queue actor.
//
// Protocol (all requests; reply types in brackets):
//   (enqueue_atom, uint64_t id, std::string payload)  [uint64_t id]
//       Accepted once logged. When the queue holds `capacity` jobs, either the
//       reply waits until there is room (block_when_full; the producer's own
//       request deadline bounds the wait; at most max_waiting_producers
//       wait, further ones get errc::queue_full) or fails at once with
//       errc::queue_full. A job id already queued is accepted as a no-op.
//   (pull_atom)  [uint64_t id, std::string payload, uint32_t failures]
//       Leases the oldest ready job to the sender for `lease`. Without a
//       ready job the reply waits for one (bounded by the worker's deadline).
//       The sender is monitored: if it dies (crash, node down) its jobs are
//       redelivered.
//   (pull_atom, caf::timespan max_wait)  [same]
//       A long poll: errc::timeout after max_wait without a job. Use it
//       with a request deadline above max_wait: a job is then never leased
//       to a pull whose sender gave up waiting.
//   (ack_atom, uint64_t id)   []   the job is done and removed.
//   (nack_atom, uint64_t id)  []   the job failed; redelivered later.
//   (dead_atom)  [std::vector<uint64_t>]  ids in the dead-letter queue.
//   (stats_atom) [size_t ready, size_t leased, size_t dead, size_t records]
//   (held_atom) [std::vector<uint64_t>]  ids of the jobs held (ready and
//       leased), ascending: what a new queue on a log left by a killed run
//       still has to deliver.
//   (log_damage_atom) [uint64_t damaged_bytes, uint64_t ranges,
//                      std::string kept_aside]
//       What opening the log found damaged: bytes skipped in the middle
//       (`ranges` ranges; the file as found is kept at `kept_aside`), plus a
//       torn tail's bytes. All zero and empty for a clean log.
// A failure (nack, lease expiry, worker death) increments the job's failure
// count; at `max_failures` the job moves to the dead-letter queue.
//
// Guarantee: at-least-once. A job can be delivered again after a lease
// expiry, a worker's death or a restart of the queue (leases are not
// logged), so consumers deduplicate by job id. Exactly-once is not promised.
//
// Durability: every state change is a record in an append-only log
// (job_log.hpp: length + crc32 per record, fsync every `fsync_every`
// records). A new queue on the same log replays it. A torn tail (a crash
// mid-write) is cut. Damage in the middle loses only the damaged records:
// the reader resynchronises on the next valid record, keeps the damaged
// file as `<log>.damaged-<unix seconds>`, logs every skipped range (offset,
// bytes, records before it) as a warning and answers log_damage_atom. A
// job whose enqueue record was damaged is lost; one whose ack or failure
// record was is delivered again (at-least-once holds).
// When the log holds more than 4x as many records as live jobs (and at
// least 1024), it is compacted.

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/timespan.hpp>

namespace troupe::wq {

using enqueue_atom = caf::atom_constant<caf::atom("wq_enq")>;
using pull_atom = caf::atom_constant<caf::atom("wq_pull")>;
using ack_atom = caf::atom_constant<caf::atom("wq_ack")>;
using nack_atom = caf::atom_constant<caf::atom("wq_nack")>;
using dead_atom = caf::atom_constant<caf::atom("wq_dead")>;
using stats_atom = caf::atom_constant<caf::atom("wq_stats")>;
using held_atom = caf::atom_constant<caf::atom("wq_held")>;
using log_damage_atom = caf::atom_constant<caf::atom("wq_damage")>;

struct queue_config {
  /// The append-only log; required.
  std::string log_path;
  /// Most jobs held (ready + leased); dead letters not counted.
  size_t capacity = 10000;
  /// How long a worker may hold a job before it is redelivered.
  caf::timespan lease = std::chrono::seconds(30);
  /// Failures after which a job goes to the dead-letter queue.
  uint32_t max_failures = 3;
  /// fsync after this many records (1 = always, 0 = leave it to the OS).
  uint32_t fsync_every = 1;
  /// Producers wait for room (true) or get errc::queue_full (false).
  bool block_when_full = true;
  /// Most producers waiting for room; further ones get errc::queue_full.
  size_t max_waiting_producers = 1024;
};

/// Spawns a queue that replays `cfg.log_path` first. If the log cannot be
/// opened the actor quits at once with the error as its exit reason.
caf::actor spawn_queue(caf::actor_system& sys, queue_config cfg);

} // namespace troupe::wq
