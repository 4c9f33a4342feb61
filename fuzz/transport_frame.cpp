// A peer's byte stream on troupe's transport (runtime/src/transport): split
// into frames by the frame reader (lengths checked before buffering), each
// frame decoded as the transport decodes it: a hello, a proof checked
// against a fixed secret and fixed hellos, and a message's receiver, id,
// sender and content through CAF's binary_deserializer with a proxy
// registry, as transport_core::deliver_message reads them. The first input
// byte picks how the stream is cut into reads (1 to 256 bytes at a time).

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/binary_deserializer.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>

#include "peer_context.hpp"
#include "transport/bounded_deserializer.hpp"
#include "transport/handshake.hpp"
#include "transport/wire.hpp"

using namespace troupe::detail;

namespace {

void decode_message(const char* payload, size_t size) {
  if (size < 16)
    return;
  static_cast<void>(wire::get_u64(payload));
  static_cast<void>(wire::get_u64(payload + 8));
  auto& ctx = troupe::fuzz::peer_context::get();
  caf::strong_actor_ptr sender;
  caf::message content;
  bounded_deserializer source{ctx.unit(), payload + 16, size - 16};
  if (!source(sender))
    static_cast<void>(source(content));
  ctx.reset();
}

void decode_down(const char* payload, size_t size) {
  if (size < 8)
    return;
  auto& ctx = troupe::fuzz::peer_context::get();
  caf::error reason;
  bounded_deserializer source{ctx.unit(), payload + 8, size - 8};
  // As transport/dispatch.cpp takes a peer's reason: what reaches monitors
  // (and their logs) renders.
  try {
    if (!source(reason))
      static_cast<void>(
        caf::to_string(troupe::detail::renderable_reason(std::move(reason))));
  } catch (const std::runtime_error& ex) {
    if (!troupe::fuzz::throws_known_caf_error(ex))
      throw; // a new finding
  }
  ctx.reset();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t cut = static_cast<size_t>(data[0]) + 1;
  auto bytes = reinterpret_cast<const char*>(data + 1);
  size_t left = size - 1;
  static const wire::hello mine = [] {
    wire::hello h;
    h.process_id = 1;
    h.host_id.fill(1);
    h.has_secret = true;
    return h;
  }();
  wire::frame_reader reader{1 << 20};
  for (size_t at = 0; at < left;) {
    auto n = std::min(cut, left - at);
    std::copy_n(bytes + at, n, reader.reserve(n));
    reader.commit(n);
    at += n;
    wire::header hdr;
    const char* payload = nullptr;
    std::string why;
    for (;;) {
      auto r = reader.next(hdr, payload, why);
      if (r == wire::frame_reader::result::need_more)
        break;
      if (r == wire::frame_reader::result::error)
        return 0; // the connection would be closed here
      switch (static_cast<wire::kind>(hdr.kind)) {
        case wire::kind::hello:
          if (auto theirs = wire::decode_hello(payload, hdr.length, why))
            static_cast<void>(check_proof("0123456789abcdef", *theirs, mine,
                                          true, payload, hdr.length));
          break;
        case wire::kind::proof:
          static_cast<void>(check_proof("0123456789abcdef", mine, mine, false,
                                        payload, hdr.length));
          break;
        case wire::kind::message:
          decode_message(payload, hdr.length);
          break;
        case wire::kind::down:
          decode_down(payload, hdr.length);
          break;
        default:
          break; // monitor, link, unlink: fixed-size integers
      }
    }
  }
  return 0;
}
