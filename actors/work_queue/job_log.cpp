#include "work_queue/job_log.hpp"

#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>

#include <unistd.h>
#include <zlib.h>

namespace troupe::wq {

namespace {

void put_u32(std::string& out, uint32_t x) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
}

void put_u64(std::string& out, uint64_t x) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, int n) {
  uint64_t x = 0;
  for (int i = 0; i < n; ++i)
    x |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return x;
}

// Records larger than this are treated as corruption (a torn length field).
constexpr uint32_t max_record = 64u * 1024 * 1024;

/// The record that starts at `pos` of `data` if a whole valid one does
/// (length in range, checksum and kind right); its size on disk in `size`.
std::optional<record> record_at(const std::string& data, size_t pos,
                                size_t& size) {
  if (data.size() - pos < 8)
    return std::nullopt;
  auto len = static_cast<uint32_t>(get_le(data.data() + pos, 4));
  if (len < 9 || len > max_record || data.size() - pos - 8 < len)
    return std::nullopt;
  const char* body = data.data() + pos + 8;
  auto kind = static_cast<uint8_t>(body[0]);
  if (kind < 1 || kind > 4)
    return std::nullopt;
  if (crc32(body, len) != static_cast<uint32_t>(get_le(data.data() + pos + 4, 4)))
    return std::nullopt;
  size = 8 + len;
  return record{static_cast<record_kind>(kind), get_le(body + 1, 8),
                std::string(body + 9, len - 9)};
}

/// A name beside `path` for the damaged file that no file has yet.
std::string aside_name(const std::string& path) {
  auto base = path + ".damaged-" + std::to_string(std::time(nullptr));
  auto name = base;
  for (int i = 1; std::filesystem::exists(name); ++i)
    name = base + "-" + std::to_string(i);
  return name;
}

} // namespace

uint32_t crc32(const char* data, size_t size) {
  // zlib's CRC-32 is the IEEE one the hand-written table computed
  // (polynomial 0xEDB88320, pre- and post-inverted), so logs written before
  // the switch stay readable (tests/data/job_log_v1.bin). crc32_z takes a
  // size_t length where crc32 takes a 32-bit one.
  return static_cast<uint32_t>(
    ::crc32_z(0, reinterpret_cast<const Bytef*>(data), size));
}

job_log::~job_log() {
  if (file_) {
    sync();
    std::fclose(file_);
  }
}

std::vector<record> job_log::open(const std::string& path,
                                  uint32_t fsync_every, std::string& err) {
  path_ = path;
  fsync_every_ = fsync_every;
  std::vector<record> result;
  std::string data;
  if (auto* in = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), in)) > 0)
      data.append(buf, n);
    std::fclose(in);
  }
  // Read record after record; at a record that does not check, look for
  // the next offset where a valid one starts. Without one, the rest is the
  // torn tail.
  size_t pos = 0;
  size_t end = 0; // just after the last valid record
  while (pos < data.size()) {
    size_t size = 0;
    if (auto rec = record_at(data, pos, size)) {
      result.push_back(std::move(*rec));
      pos += size;
      end = pos;
      continue;
    }
    size_t next = pos + 1;
    while (next < data.size() && !record_at(data, next, size))
      ++next;
    if (next >= data.size())
      break;
    damage_.push_back({pos, next - pos, result.size()});
    pos = next;
  }
  truncated_ = data.size() - end;
  if (!damage_.empty()) {
    // Keep the file as found, then put the valid records in its place.
    kept_aside_ = aside_name(path);
    if (std::rename(path.c_str(), kept_aside_.c_str()) != 0) {
      err = "cannot keep the damaged log " + path + " aside as " + kept_aside_
            + ": " + std::strerror(errno);
      return {};
    }
    if (!write_all(path, result)) {
      err = "cannot rewrite the damaged log " + path + " (the original is "
            "kept as " + kept_aside_ + "): " + std::strerror(errno);
      return {};
    }
  } else if (truncated_ > 0
             && ::truncate(path.c_str(), static_cast<off_t>(end)) != 0) {
    err = "cannot truncate the corrupt tail of " + path;
    return {};
  }
  file_ = std::fopen(path.c_str(), "ab");
  if (!file_) {
    err = "cannot open work queue log " + path + ": " + std::strerror(errno);
    return {};
  }
  records_ = result.size();
  return result;
}

bool job_log::write_record(std::FILE* f, const record& rec) {
  std::string body;
  body.push_back(static_cast<char>(rec.kind));
  put_u64(body, rec.id);
  body += rec.payload;
  std::string out;
  put_u32(out, static_cast<uint32_t>(body.size()));
  put_u32(out, crc32(body.data(), body.size()));
  out += body;
  return std::fwrite(out.data(), 1, out.size(), f) == out.size();
}

bool job_log::sync() {
  unsynced_ = 0;
  ++syncs_;
  return std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
}

bool job_log::append(const record& rec) {
  if (!file_ || !write_record(file_, rec))
    return false;
  ++records_;
  // Every record leaves this process's buffer before append returns (and
  // the queue acknowledges it), whatever the policy: a crash of the process
  // loses nothing acknowledged. fsync_every only decides what a crash of
  // the machine may lose. (It used to flush only at an fsync, so with
  // fsync_every = 256 a killed process lost up to 255 acknowledged records,
  // more than with 0.)
  if (std::fflush(file_) != 0)
    return false;
  if (fsync_every_ != 0 && ++unsynced_ >= fsync_every_)
    return sync();
  return true;
}

bool job_log::write_all(const std::string& file,
                        const std::vector<record>& recs) {
  auto tmp = file + ".compact";
  auto* out = std::fopen(tmp.c_str(), "wb");
  if (!out)
    return false;
  for (auto& rec : recs)
    if (!write_record(out, rec)) {
      std::fclose(out);
      return false;
    }
  if (std::fflush(out) != 0 || ::fsync(fileno(out)) != 0) {
    std::fclose(out);
    return false;
  }
  std::fclose(out);
  return std::rename(tmp.c_str(), file.c_str()) == 0;
}

bool job_log::compact(const std::vector<record>& live) {
  // On failure the log is as it was and stays open for appends.
  if (!write_all(path_, live))
    return false;
  if (file_)
    std::fclose(file_);
  file_ = std::fopen(path_.c_str(), "ab");
  records_ = live.size();
  unsynced_ = 0;
  return file_ != nullptr;
}

} // namespace troupe::wq
