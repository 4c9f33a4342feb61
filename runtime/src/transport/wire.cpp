#include "transport/wire.hpp"

#include <cstring>

namespace troupe::detail::wire {

// The wire is little-endian; so is every machine troupe runs on today, but
// the byte order is spelled out so that a big-endian port has one place to
// change.
void put_u16(std::vector<char>& buf, uint16_t x) {
  char b[2] = {static_cast<char>(x), static_cast<char>(x >> 8)};
  buf.insert(buf.end(), b, b + 2);
}

void put_u32(std::vector<char>& buf, uint32_t x) {
  char b[4];
  for (int i = 0; i < 4; ++i)
    b[i] = static_cast<char>(x >> (8 * i));
  buf.insert(buf.end(), b, b + 4);
}

void put_u64(std::vector<char>& buf, uint64_t x) {
  char b[8];
  for (int i = 0; i < 8; ++i)
    b[i] = static_cast<char>(x >> (8 * i));
  buf.insert(buf.end(), b, b + 8);
}

uint16_t get_u16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}

uint32_t get_u32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  uint32_t x = 0;
  for (int i = 3; i >= 0; --i)
    x = (x << 8) | u[i];
  return x;
}

uint64_t get_u64(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i)
    x = (x << 8) | u[i];
  return x;
}

size_t begin_frame(std::vector<char>& buf, kind k) {
  auto offset = buf.size();
  put_u32(buf, 0);
  buf.push_back(static_cast<char>(k));
  buf.push_back(0);
  put_u16(buf, 0);
  return offset;
}

void end_frame(std::vector<char>& buf, size_t offset) {
  auto length = static_cast<uint32_t>(buf.size() - offset - header_size);
  for (int i = 0; i < 4; ++i)
    buf[offset + i] = static_cast<char>(length >> (8 * i));
}

void encode(std::vector<char>& buf, const hello& x) {
  auto at = begin_frame(buf, kind::hello);
  put_u32(buf, magic);
  put_u16(buf, x.version);
  put_u32(buf, x.process_id);
  buf.insert(buf.end(), x.host_id.begin(), x.host_id.end());
  buf.insert(buf.end(), x.nonce.begin(), x.nonce.end());
  put_u64(buf, x.published_actor);
  buf.push_back(x.has_secret ? 1 : 0);
  end_frame(buf, at);
}

std::optional<hello> decode_hello(const char* data, size_t size,
                                  std::string& why) {
  if (size != hello_size) {
    why = "hello of " + std::to_string(size) + " bytes (expected "
          + std::to_string(hello_size) + ")";
    return std::nullopt;
  }
  if (get_u32(data) != magic) {
    why = "not a troupe node (bad magic)";
    return std::nullopt;
  }
  hello x;
  x.version = get_u16(data + 4);
  if (x.version != version) {
    why = "protocol version " + std::to_string(x.version) + " (this node speaks "
          + std::to_string(version) + ")";
    return std::nullopt;
  }
  x.process_id = get_u32(data + 6);
  auto p = data + 10;
  std::memcpy(x.host_id.data(), p, host_id_size);
  p += host_id_size;
  std::memcpy(x.nonce.data(), p, nonce_size);
  p += nonce_size;
  x.published_actor = get_u64(p);
  p += 8;
  if (static_cast<unsigned char>(*p) > 1) {
    why = "malformed hello flags";
    return std::nullopt;
  }
  x.has_secret = *p == 1;
  bool any = false;
  for (auto b : x.host_id)
    any = any || b != 0;
  if (!any || x.process_id == 0) {
    why = "hello without a node id";
    return std::nullopt;
  }
  return x;
}

char* frame_reader::reserve(size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && buf_.size() - end_ < n) {
    // Move the partial frame to the front instead of growing.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < n)
    buf_.resize(end_ + n);
  return buf_.data() + end_;
}

frame_reader::result frame_reader::next(header& hdr, const char*& payload,
                                        std::string& why) {
  auto avail = end_ - begin_;
  if (avail < header_size)
    return result::need_more;
  auto p = buf_.data() + begin_;
  hdr.length = get_u32(p);
  hdr.kind = static_cast<uint8_t>(p[4]);
  hdr.flags = static_cast<uint8_t>(p[5]);
  if (hdr.kind < static_cast<uint8_t>(kind::hello)
      || hdr.kind > static_cast<uint8_t>(kind::unlink)) {
    why = "unknown frame kind " + std::to_string(hdr.kind);
    return result::error;
  }
  if (hdr.length > max_frame_size_) {
    why = "frame of " + std::to_string(hdr.length) + " bytes announced, above "
          "the limit of " + std::to_string(max_frame_size_)
          + " (troupe.max-frame-size)";
    return result::error;
  }
  if (avail < header_size + hdr.length)
    return result::need_more;
  payload = p + header_size;
  begin_ += header_size + hdr.length;
  return result::frame;
}

} // namespace troupe::detail::wire
