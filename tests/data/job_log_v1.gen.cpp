// How tests/data/job_log_v1.bin was made: this program, built against the
// job_log of commit 9480a00 (the last one with the hand-written CRC32 table)
// and run once from the repository root:
//
//   git show 9480a00:actors/work_queue/job_log.cpp > /tmp/job_log_v1.cpp
//   g++ -std=c++20 -Iactors tests/data/job_log_v1.gen.cpp /tmp/job_log_v1.cpp \
//       -o /tmp/gen && /tmp/gen tests/data/job_log_v1.bin
//
// ipc_job_log_test.cpp reads that file with the current job_log and expects
// exactly these records: a log written before the switch to zlib's crc32
// must stay readable. Not built by CMake; keep it in step with the test.
#include "work_queue/job_log.hpp"
#include <cstdio>
using namespace troupe::wq;
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::remove(argv[1]);
  job_log log;
  std::string err;
  log.open(argv[1], 1, err);
  if (!err.empty()) { std::puts(err.c_str()); return 1; }
  std::string bin;
  for (int i = 0; i < 256; ++i) bin.push_back(static_cast<char>(i));
  record recs[] = {
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
  for (auto& r : recs) if (!log.append(r)) return 1;
  return 0;
}
