// Specification of the work queue's append-only log (job_log.hpp): record
// checksums, what is dropped after a crash or a corruption, the fsync
// policy, and reading logs written by earlier versions.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <work_queue/job_log.hpp>

using namespace troupe::wq;
namespace fs = std::filesystem;

// For CHECK(a == b) on records, found by ADL, hence in troupe::wq.
namespace troupe::wq {

static bool operator==(const record& x, const record& y) {
  return x.kind == y.kind && x.id == y.id && x.payload == y.payload;
}

static std::ostream& operator<<(std::ostream& out, const record& x) {
  return out << "{kind " << static_cast<int>(x.kind) << ", id " << x.id
             << ", " << x.payload.size() << " payload bytes}";
}

} // namespace troupe::wq

namespace {

using troupe::test::temp_dir;

/// The records of the log at `path`, read by a fresh job_log (which also
/// truncates a bad tail, as a restarted queue would).
std::vector<record> reopen(const std::string& path, size_t* dropped = nullptr) {
  job_log log;
  std::string err;
  auto recs = log.open(path, 1, err);
  REQUIRE(err.empty());
  if (dropped)
    *dropped = log.truncated_bytes();
  return recs;
}

/// Writes `recs` to a new log at `path`.
void write_log(const std::string& path, const std::vector<record>& recs) {
  job_log log;
  std::string err;
  REQUIRE(log.open(path, 1, err).empty());
  REQUIRE(err.empty());
  for (auto& r : recs)
    REQUIRE(log.append(r));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Three enqueues of 100 payload bytes each (with NULs in them, so nothing
/// that stops at a NUL can pass for a test of the checksum). Each record is
/// 8 (length, crc) + 1 (kind) + 8 (id) + 100 bytes.
std::vector<record> three_jobs() {
  std::vector<record> recs;
  for (uint64_t id = 1; id <= 3; ++id) {
    std::string payload(100, '\0');
    for (size_t i = 0; i < payload.size(); i += 2)
      payload[i] = static_cast<char>('a' + id);
    recs.push_back({record_kind::enqueue, id, payload});
  }
  return recs;
}

constexpr size_t record_size = 8 + 1 + 8 + 100;

} // namespace

TEST_CASE("job log: the checksum is the IEEE CRC-32 (zlib's, gzip's)") {
  // The standard check value of CRC-32/ISO-HDLC, and the empty input.
  CHECK(crc32("123456789", 9) == 0xCBF43926u);
  CHECK(crc32("", 0) == 0u);
  const char nul[] = {'\0', '\0', '\0', '\0'};
  CHECK(crc32(nul, 4) == 0x2144DF1Cu);
}

TEST_CASE("job log: a log written before the switch to zlib's crc32 reads "
          "back record for record") {
  // tests/data/job_log_v1.bin was written by the job_log with the
  // hand-written CRC table (commit 9480a00); tests/data/job_log_v1.gen.cpp
  // is the program that wrote it and lists the same records as below.
  temp_dir dir;
  auto path = dir.file("v1.log");
  fs::copy_file(fs::path{TROUPE_TEST_DATA_DIR} / "job_log_v1.bin", path);
  auto size_before = fs::file_size(path);
  std::string bin;
  for (int i = 0; i < 256; ++i)
    bin.push_back(static_cast<char>(i));
  std::vector<record> expected{
    {record_kind::enqueue, 1, "hello"},
    {record_kind::enqueue, 2, std::string("nul\0inside", 10)},
    {record_kind::enqueue, 3, bin},
    {record_kind::enqueue, 0xFFFFFFFFFFFFFFFFull, ""},
    {record_kind::ack, 1, ""},
    {record_kind::fail, 2, ""},
    {record_kind::fail, 2, ""},
    {record_kind::dead, 2, ""},
    {record_kind::enqueue, 4, std::string(1000, 'x')},
  };
  size_t dropped = 1;
  auto got = reopen(path, &dropped);
  CHECK(dropped == 0u);
  CHECK(fs::file_size(path) == size_before);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(got[i] == expected[i]);
}

TEST_CASE("job log: a record whose payload was corrupted is the only one "
          "lost, the damaged file is kept aside and the log rewritten") {
  temp_dir dir;
  auto path = dir.file("q.log");
  auto recs = three_jobs();
  write_log(path, recs);
  auto bytes = read_bytes(path);
  REQUIRE(bytes.size() == 3 * record_size);
  // One flipped bit in the middle of record 2's payload: its length, kind
  // and id still look right, only the checksum can tell.
  bytes[record_size + 17 + 50] ^= 0x01;
  write_bytes(path, bytes);
  {
    job_log log;
    std::string err;
    auto got = log.open(path, 1, err);
    REQUIRE(err.empty());
    REQUIRE(got.size() == 2u);
    CHECK(got[0] == recs[0]);
    CHECK(got[1] == recs[2]);
    CHECK(log.truncated_bytes() == 0u);
    REQUIRE(log.damage().size() == 1u);
    CHECK(log.damage()[0].offset == record_size);
    CHECK(log.damage()[0].bytes == record_size);
    CHECK(log.damage()[0].records_before == 1u);
    // The file as found, byte for byte, beside the log.
    REQUIRE_FALSE(log.kept_aside().empty());
    CHECK(log.kept_aside().rfind(path + ".damaged-", 0) == 0);
    CHECK(read_bytes(log.kept_aside()) == bytes);
    REQUIRE(log.append({record_kind::ack, 1, {}}));
  }
  // The rewritten log is clean: the next open finds no damage.
  job_log again;
  std::string err;
  auto got = again.open(path, 1, err);
  REQUIRE(err.empty());
  CHECK(again.damage().empty());
  REQUIRE(got.size() == 3u);
  CHECK(got[1] == recs[2]);
  CHECK(got[2] == record{record_kind::ack, 1, {}});
  CHECK(fs::file_size(path) == 2 * record_size + 17);
}

namespace {

/// 8000 enqueues of 40-byte payloads, as a long-running queue leaves them.
std::vector<record> many_jobs() {
  std::vector<record> recs;
  for (uint64_t id = 1; id <= 8000; ++id)
    recs.push_back({record_kind::enqueue, id, std::string(40, char('a' + id % 26))});
  return recs;
}

/// How many of `expected` are in `got`, in order.
size_t kept(const std::vector<record>& expected, const std::vector<record>& got) {
  size_t n = 0;
  for (size_t i = 0, j = 0; i < expected.size() && j < got.size(); ++i)
    if (expected[i] == got[j]) {
      ++n;
      ++j;
    }
  return n;
}

} // namespace

TEST_CASE("job log: 32 random bytes in the middle of 8000 records lose only "
          "the records they hit") {
  temp_dir dir;
  auto path = dir.file("q.log");
  auto recs = many_jobs();
  write_log(path, recs);
  auto bytes = read_bytes(path);
  std::mt19937 rng{42};
  for (int trial = 0; trial < 3; ++trial) {
    auto copy = bytes;
    size_t at = copy.size() / 2 + rng() % 1000;
    for (size_t i = 0; i < 32; ++i)
      copy[at + i] = static_cast<char>(rng());
    write_bytes(path, copy);
    job_log log;
    std::string err;
    auto got = log.open(path, 1, err);
    REQUIRE(err.empty());
    // 32 bytes span at most two 57-byte records.
    INFO("damage at " << at << ", trial " << trial);
    CHECK(got.size() >= recs.size() - 2);
    CHECK(kept(recs, got) == got.size()); // nothing invented, order kept
    REQUIRE(log.damage().size() == 1u);
    CHECK(log.damage()[0].offset <= at);
    CHECK(log.damage()[0].offset + log.damage()[0].bytes >= at + 32);
    CHECK(log.truncated_bytes() == 0u);
    CHECK(read_bytes(log.kept_aside()) == copy);
  }
}

TEST_CASE("job log: a flipped bit in the first record's length loses only "
          "that record") {
  temp_dir dir;
  auto path = dir.file("q.log");
  auto recs = many_jobs();
  write_log(path, recs);
  auto bytes = read_bytes(path);
  bytes[1] ^= 0x10; // length 49 becomes 4145: the crc cannot match
  write_bytes(path, bytes);
  job_log log;
  std::string err;
  auto got = log.open(path, 1, err);
  REQUIRE(err.empty());
  REQUIRE(got.size() == recs.size() - 1);
  CHECK(got.front() == recs[1]);
  CHECK(got.back() == recs.back());
  REQUIRE(log.damage().size() == 1u);
  CHECK(log.damage()[0].offset == 0u);
  CHECK(log.damage()[0].records_before == 0u);
}

TEST_CASE("job log: damage in the middle and a torn tail: both reported, "
          "every valid record between them kept") {
  temp_dir dir;
  auto path = dir.file("q.log");
  auto recs = three_jobs();
  write_log(path, recs);
  auto bytes = read_bytes(path);
  bytes[10] ^= 0x01;                 // in record 1's id: its crc fails
  bytes.resize(3 * record_size - 7); // record 3 torn
  write_bytes(path, bytes);
  job_log log;
  std::string err;
  auto got = log.open(path, 1, err);
  REQUIRE(err.empty());
  REQUIRE(got.size() == 1u);
  CHECK(got[0] == recs[1]);
  REQUIRE(log.damage().size() == 1u);
  CHECK(log.damage()[0].bytes == record_size);
  CHECK(log.truncated_bytes() == record_size - 7);
  CHECK(fs::file_size(path) == record_size);
}

TEST_CASE("job log: a corrupted checksum field rejects its record") {
  temp_dir dir;
  auto path = dir.file("q.log");
  auto recs = three_jobs();
  write_log(path, recs);
  auto bytes = read_bytes(path);
  bytes[2 * record_size + 5] ^= 0x40; // record 3's crc
  write_bytes(path, bytes);
  auto got = reopen(path);
  REQUIRE(got.size() == 2u);
  CHECK(got[1] == recs[1]);
  CHECK(fs::file_size(path) == 2 * record_size);
}

TEST_CASE("job log: a record cut in the middle is dropped, the earlier ones "
          "survive and appends go on from a clean boundary") {
  temp_dir dir;
  auto path = dir.file("q.log");
  auto recs = three_jobs();
  write_log(path, recs);
  // A crash while writing record 3: only 60 of its bytes reached the file.
  fs::resize_file(path, 2 * record_size + 60);
  size_t dropped = 0;
  {
    job_log log;
    std::string err;
    auto got = log.open(path, 1, err);
    REQUIRE(err.empty());
    dropped = log.truncated_bytes();
    REQUIRE(got.size() == 2u);
    CHECK(got[0] == recs[0]);
    CHECK(got[1] == recs[1]);
    REQUIRE(log.append({record_kind::ack, 1, {}}));
  }
  CHECK(dropped == 60u);
  auto got = reopen(path);
  REQUIRE(got.size() == 3u);
  CHECK(got[2] == record{record_kind::ack, 1, {}});
}

TEST_CASE("job log: a cut in the length field of the next record is dropped "
          "too") {
  temp_dir dir;
  auto path = dir.file("q.log");
  write_log(path, three_jobs());
  fs::resize_file(path, 2 * record_size + 3);
  size_t dropped = 0;
  CHECK(reopen(path, &dropped).size() == 2u);
  CHECK(dropped == 3u);
}

TEST_CASE("job log: each record is in the file when append returns, and "
          "fsynced as the policy says") {
  temp_dir dir;
  auto recs = three_jobs();
  // fsync_every, appends, fsyncs expected (1: every record; 4: after the
  // 4th and 8th; 0: never, the OS decides).
  using policy = std::tuple<uint32_t, size_t, size_t>;
  for (auto [every, n, syncs] : {policy{1, 10, 10}, {4, 10, 2}, {0, 10, 0}}) {
    INFO("fsync_every = " << every);
    std::string name = "policy-";
    name += std::to_string(every); // not "literal" + to_string: GCC 12's
                                   // -Wrestrict misfires on it at -O2
    auto path = dir.file(name.c_str());
    job_log log;
    std::string err;
    REQUIRE(log.open(path, every, err).empty());
    REQUIRE(err.empty());
    for (size_t i = 0; i < n; ++i) {
      REQUIRE(log.append({record_kind::enqueue, i, recs[0].payload}));
      // Under every policy the record left the process's buffer (a crash
      // of the process loses nothing that append accepted).
      CHECK(fs::file_size(path) == (i + 1) * record_size);
    }
    CHECK(log.syncs() == syncs);
  }
}
