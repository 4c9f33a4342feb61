// The durable work queue's log file (actors/work_queue/job_log.hpp) as the
// queue reads it when it starts: the input is the file's content. The
// reader's result is then checked against what it promises: the file is
// cut to the records it returned, and reading it again (after an append,
// and after a compaction) gives the same records.
//
// The first input byte is not part of the file: when its low bit is set,
// the harness writes the right CRC-32 into every record it can frame, so
// the fuzzer also reaches what the reader does past the checksum.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "work_queue/job_log.hpp"

namespace {

using troupe::wq::record;

uint32_t get_le32(const std::string& s, size_t pos) {
  uint32_t x = 0;
  for (int i = 0; i < 4; ++i)
    x |= uint32_t{static_cast<unsigned char>(s[pos + i])} << (8 * i);
  return x;
}

void fix_checksums(std::string& file) {
  size_t pos = 0;
  while (file.size() - pos >= 8) {
    auto len = get_le32(file, pos);
    if (len < 9 || file.size() - pos - 8 < len)
      return;
    auto crc = troupe::wq::crc32(file.data() + pos + 8, len);
    for (int i = 0; i < 4; ++i)
      file[pos + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
    pos += 8 + len;
  }
}

const std::string& log_path() {
  static const std::string path = [] {
    const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string dir = std::string{base} + "/troupe-fuzz-job-log-XXXXXX";
    if (!mkdtemp(dir.data()))
      std::abort();
    static std::string made = dir;
    std::atexit([] { rmdir(made.c_str()); });
    return dir + "/queue.log";
  }();
  return path;
}

bool same(const std::vector<record>& a, const std::vector<record>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].id != b[i].id
        || a[i].payload != b[i].payload)
      return false;
  return true;
}

long file_size(const std::string& path) {
  auto* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return -1;
  std::fseek(f, 0, SEEK_END);
  auto n = std::ftell(f);
  std::fclose(f);
  return n;
}

std::vector<record> reopen(const std::string& path) {
  troupe::wq::job_log log;
  std::string err;
  auto recs = log.open(path, 0, err);
  if (!err.empty() || log.truncated_bytes() != 0)
    std::abort(); // a log the reader itself cut is not clean
  return recs;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1)
    fix_checksums(file);
  auto& path = log_path();
  if (auto* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(file.data(), 1, file.size(), f);
    std::fclose(f);
  } else {
    std::abort();
  }
  std::vector<record> recs;
  {
    troupe::wq::job_log log;
    std::string err;
    recs = log.open(path, 0, err);
    if (!err.empty())
      std::abort();
    if (log.records() != recs.size())
      std::abort();
    // Every byte is a kept record, a skipped range or the torn tail.
    size_t kept = 0, skipped = 0;
    for (auto& r : recs)
      kept += 8 + 9 + r.payload.size();
    for (auto& d : log.damage())
      skipped += d.bytes;
    if (kept + skipped + log.truncated_bytes() != file.size())
      std::abort();
    if (log.damage().empty()) {
      if (file_size(path)
          != static_cast<long>(file.size() - log.truncated_bytes()))
        std::abort(); // the file is not cut where the valid records end
    } else {
      // Damage in the middle: the file as found is kept aside, and the log
      // holds the valid records only.
      if (file_size(log.kept_aside()) != static_cast<long>(file.size())
          || file_size(path) != static_cast<long>(kept))
        std::abort();
      std::remove(log.kept_aside().c_str());
    }
    if (!log.append(record{troupe::wq::record_kind::ack, 7, {}}))
      std::abort();
  }
  auto after_append = reopen(path);
  recs.push_back(record{troupe::wq::record_kind::ack, 7, {}});
  if (!same(recs, after_append))
    std::abort();
  {
    troupe::wq::job_log log;
    std::string err;
    log.open(path, 0, err);
    recs.pop_back();
    if (!log.compact(recs))
      std::abort();
  }
  if (!same(recs, reopen(path)))
    std::abort();
  std::remove(path.c_str());
  return 0;
}
