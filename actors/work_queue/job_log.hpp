#pragma once
// The work queue's append-only log. No CAF here: plain file I/O.
//
// Record layout (little endian): u32 length, u32 crc32, then `length` bytes:
// u8 kind, u64 job id, payload bytes (enqueue only). The checksum covers the
// `length` bytes.
//
// On open the reader never drops a valid record. A record that does not
// check (bad length, checksum or kind) starts a damaged range; the reader
// resynchronises on the next offset where a whole valid record begins and
// reads on from there. What follows the last valid record (a crash
// mid-write: the torn tail) is cut, so later appends start on a clean
// boundary. Damage in the middle is never cut in place: the file as found is
// renamed to `path.damaged-<unix seconds>` and the log is rewritten with the
// valid records (written to `path.compact`, fsynced, renamed over `path`).
// The skipped ranges are in damage() for the queue to log and report.
//
// fsync policy: every record is written to the OS (flushed out of this
// process) before append returns, so a crash of the process loses nothing
// appended. On top, fsync after every `fsync_every` appended records (1 =
// always, each record is on disk before the queue acknowledges it; N = a
// crash of the machine may lose the last N - 1; 0 = never, the OS decides).
// A power loss may lose the tail but never corrupts earlier records.
// Compaction writes the live records to `path.compact`, fsyncs it and
// renames it over the log (atomic on POSIX).

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace troupe::wq {

enum class record_kind : uint8_t { enqueue = 1, ack = 2, fail = 3, dead = 4 };

struct record {
  record_kind kind;
  uint64_t id;
  std::string payload;
};

/// One range of bytes skipped in the middle of a log at open: `bytes` bytes
/// from `offset`, found after `records_before` valid records.
struct damaged_range {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t records_before = 0;
};

/// CRC-32 (IEEE, as zlib, gzip and PNG compute it) of `size` bytes.
uint32_t crc32(const char* data, size_t size);

class job_log {
public:
  job_log() = default;
  ~job_log();
  job_log(const job_log&) = delete;
  job_log& operator=(const job_log&) = delete;

  /// Opens (creates) `path` and returns every valid record in order: past a
  /// damaged range it resynchronises on the next valid record; a torn tail
  /// is cut; a log damaged in the middle is kept aside and rewritten (see
  /// the file comment). Empty string in `err` on success.
  std::vector<record> open(const std::string& path, uint32_t fsync_every,
                           std::string& err);

  /// Appends one record; false on an I/O error.
  bool append(const record& rec);

  /// Replaces the log with `live` records (atomic rename).
  bool compact(const std::vector<record>& live);

  /// Records in the file since open or the last compaction.
  size_t records() const noexcept {
    return records_;
  }
  /// Bytes dropped from a corrupt tail at open.
  size_t truncated_bytes() const noexcept {
    return truncated_;
  }
  /// Ranges skipped in the middle of the log at open, in file order; empty
  /// if the log was clean up to its tail.
  const std::vector<damaged_range>& damage() const noexcept {
    return damage_;
  }
  /// Where the damaged file was kept (empty if damage() is).
  const std::string& kept_aside() const noexcept {
    return kept_aside_;
  }
  /// fsyncs of the log since open: the fsync policy at work (for tests and
  /// benchmarks; compaction's fsync of its new file is not counted).
  size_t syncs() const noexcept {
    return syncs_;
  }

private:
  bool write_record(std::FILE* f, const record& rec);
  bool write_all(const std::string& file, const std::vector<record>& recs);
  bool sync();

  std::string path_;
  std::FILE* file_ = nullptr;
  uint32_t fsync_every_ = 1;
  uint32_t unsynced_ = 0;
  size_t records_ = 0;
  size_t truncated_ = 0;
  size_t syncs_ = 0;
  std::vector<damaged_range> damage_;
  std::string kept_aside_;
};

} // namespace troupe::wq
