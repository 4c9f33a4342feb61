#pragma once
// The byte layout of troupe's node transport: a fixed 8-byte frame header,
// the two handshake frames and a frame reader that checks every length
// before it sizes a buffer. Pure functions over bytes, with no sockets or
// actors, so that a fuzz target can drive them directly.
//
//   frame  := header payload
//   header := u32 payload_length | u8 kind | u8 flags | u16 reserved   (LE)
//
// A connection starts with `hello` from both sides, then `proof` from both
// sides (see handshake.hpp); every other kind is refused before the peer's
// proof was checked.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::detail::wire {

inline constexpr size_t header_size = 8;
inline constexpr uint32_t magic = 0x31505254; // "TRP1"
inline constexpr uint16_t version = 1;
inline constexpr size_t nonce_size = 32;
inline constexpr size_t mac_size = 32; // HMAC-SHA256
inline constexpr size_t host_id_size = 20;

enum class kind : uint8_t {
  hello = 1,   // magic, version, node id, nonce, published actor
  proof = 2,   // HMAC over both hellos (or nothing without a secret)
  message = 3, // receiver id, message id, sender, content (CAF binary)
  monitor = 4, // "tell me when actor N ends": actor id
  down = 5,    // actor id, exit reason (CAF binary)
  link = 6,    // receiver id, linking actor id (an actor of the sender)
  unlink = 7,  // receiver id, unlinking actor id
};

/// The kinds a peer may send once it is authenticated.
inline bool is_data_kind(uint8_t k) {
  return k >= static_cast<uint8_t>(kind::message)
         && k <= static_cast<uint8_t>(kind::unlink);
}

struct header {
  uint32_t length = 0;
  uint8_t kind = 0;
  uint8_t flags = 0;
};

void put_u16(std::vector<char>& buf, uint16_t x);
void put_u32(std::vector<char>& buf, uint32_t x);
void put_u64(std::vector<char>& buf, uint64_t x);
uint16_t get_u16(const char* p);
uint32_t get_u32(const char* p);
uint64_t get_u64(const char* p);

/// Appends a header for a payload of `length` bytes that the caller writes
/// next; returns the header's offset for patch_length.
size_t begin_frame(std::vector<char>& buf, kind k);

/// Writes the final payload length into the header at `offset`.
void end_frame(std::vector<char>& buf, size_t offset);

/// What a node tells about itself when a connection opens.
struct hello {
  uint16_t version = wire::version;
  uint32_t process_id = 0;
  std::array<uint8_t, host_id_size> host_id{};
  std::array<uint8_t, nonce_size> nonce{};
  uint64_t published_actor = 0; // the listener's published actor, or 0
  bool has_secret = false;
};

inline constexpr size_t hello_size = 4 + 2 + 4 + host_id_size + nonce_size
                                     + 8 + 1;

void encode(std::vector<char>& buf, const hello& x);

/// Decodes a hello payload; the reason on failure, for the log line.
std::optional<hello> decode_hello(const char* data, size_t size,
                                  std::string& why);

/// Splits a byte stream into frames. Feed it what the socket gave, then take
/// frames until it has none; an oversized or unknown header is an error and
/// the connection must be closed (nothing was allocated for it).
class frame_reader {
public:
  explicit frame_reader(uint32_t max_frame_size)
    : max_frame_size_(max_frame_size) {
  }

  /// Until the peer is authenticated only handshake-sized frames pass.
  void max_frame_size(uint32_t n) {
    max_frame_size_ = n;
  }

  /// Room for at least `n` more bytes at the end of the buffer.
  char* reserve(size_t n);

  /// `n` bytes were written where reserve pointed.
  void commit(size_t n) {
    end_ += n;
  }

  enum class result { frame, need_more, error };

  /// The next complete frame: its header and payload stay valid until the
  /// next call. On `error`, `why` says what the peer did wrong.
  result next(header& hdr, const char*& payload, std::string& why);

  /// Bytes received and not yet returned as frames.
  size_t buffered() const {
    return end_ - begin_;
  }

  /// Memory held, for limits and metrics.
  size_t capacity() const {
    return buf_.size();
  }

private:
  uint32_t max_frame_size_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

} // namespace troupe::detail::wire
