#pragma once
// The `kv` demo's client: sessions that write and read keys through the
// store's coordinator and check every answer against what was
// acknowledged, then read everything back and audit the replicas.
//
// Each session owns a disjoint set of keys and has one operation in flight,
// so the operations on one key are sequential and the client knows exactly
// which write is the latest acknowledged one. A read is correct if it
// returns that write, or a later write that failed (a failed write may have
// been stored by some replicas: it is neither acknowledged nor undone).
// Anything else is a stale read: an acknowledged write was lost.
//
// Protocol of the load actor (local only):
//   (drain_atom)  []  stop issuing; answered once nothing is in flight.
//   (verify_atom) [uint64_t checked, uint64_t lost, uint64_t unverified,
//                  std::vector<std::string> examples]
//       reads every key with an acknowledged write back (after drain).
//   (audit_atom, std::vector<caf::actor> replicas, uint32_t want)
//       [uint64_t keys, uint64_t min_copies, std::vector<std::string> examples]
//       dumps every replica and counts, per acknowledged key, the replicas
//       holding its latest acknowledged write (or a newer one); examples
//       name keys on fewer than `want` replicas.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

namespace troupe::demos::kv {

using drain_atom = caf::atom_constant<caf::atom("kvd_drain")>;
using verify_atom = caf::atom_constant<caf::atom("kvd_verify")>;
using audit_atom = caf::atom_constant<caf::atom("kvd_audit")>;

struct load_options {
  uint32_t keys = 1000;
  uint32_t sessions = 32;
  /// Percentage of operations that are writes.
  uint32_t write_percent = 50;
  /// Deadline of each operation at the coordinator.
  caf::timespan deadline = std::chrono::seconds(5);
  uint64_t seed = 1;
};

/// Figures the load actor updates and the demo's main thread reads.
struct load_stats {
  std::atomic<uint64_t> writes_acked{0};
  std::atomic<uint64_t> reads_ok{0};
  std::atomic<uint64_t> stale_reads{0};
  std::atomic<uint64_t> err_timeout{0};
  std::atomic<uint64_t> err_node_down{0};
  std::atomic<uint64_t> err_no_quorum{0};
  std::atomic<uint64_t> err_other{0};

  uint64_t errors() const {
    return err_timeout + err_node_down + err_no_quorum + err_other;
  }

  /// Completed operations, successful or not.
  uint64_t ops() const {
    return writes_acked + reads_ok + stale_reads + errors();
  }

  void count_error(const caf::error& err);
};

/// Spawns the client; it starts its sessions at once.
caf::actor spawn_load(caf::actor_system& sys, caf::actor coordinator,
                      load_options opt, std::shared_ptr<load_stats> stats);

/// What the client read back and found on the replicas after a run.
struct final_check {
  uint64_t checked = 0;    ///< keys with an acknowledged write, read back
  uint64_t lost = 0;       ///< of those, read with another value
  uint64_t unverified = 0; ///< could not be read (after retries)
  bool verify_ok = false;  ///< the read-back ran to its end
  uint64_t audited = 0;    ///< keys counted on the replicas
  uint64_t min_copies = 0; ///< fewest replicas holding a key's latest write
  bool audit_ok = false;   ///< every replica could be dumped
  std::vector<std::string> examples; ///< what went wrong, a few lines
};

/// Asks `load` (drained) to read every key back and to audit `replicas`
/// (examples name keys on fewer than `want`); each step waits at most
/// `timeout`.
final_check check_store(caf::actor_system& sys, const caf::actor& load,
                        std::vector<caf::actor> replicas, uint32_t want,
                        caf::timespan timeout);

/// The name of key number `i`.
std::string key_name(uint32_t i);

} // namespace troupe::demos::kv
