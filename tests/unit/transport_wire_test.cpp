// The transport's byte layout as pure functions: frames split from a stream
// however it is cut, lengths checked before a buffer grows, hellos decoded
// only when well-formed, and proofs bound to both sides' nonces and roles.

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "transport/bounded_deserializer.hpp"
#include "transport/handshake.hpp"
#include "transport/message_check.hpp"
#include "transport/wire.hpp"

using namespace troupe::detail;

namespace {

std::vector<char> frames(int n) {
  std::vector<char> buf;
  for (int i = 0; i < n; ++i) {
    auto at = wire::begin_frame(buf, wire::kind::monitor);
    wire::put_u64(buf, static_cast<uint64_t>(i));
    wire::end_frame(buf, at);
  }
  return buf;
}

wire::hello some_hello(uint8_t seed) {
  wire::hello h;
  h.process_id = 100 + seed;
  h.host_id.fill(seed);
  h.nonce = make_nonce();
  h.has_secret = true;
  return h;
}

} // namespace

TEST_CASE("frames come out whole however the stream is cut") {
  auto bytes = frames(50);
  for (size_t cut : {size_t{1}, size_t{3}, size_t{7}, size_t{16}, size_t{1000}}) {
    wire::frame_reader reader{1024};
    std::vector<uint64_t> seen;
    for (size_t at = 0; at < bytes.size(); at += cut) {
      auto n = std::min(cut, bytes.size() - at);
      std::copy_n(bytes.data() + at, n, reader.reserve(n));
      reader.commit(n);
      wire::header hdr;
      const char* payload = nullptr;
      std::string why;
      while (reader.next(hdr, payload, why) == wire::frame_reader::result::frame) {
        REQUIRE(hdr.length == 8);
        seen.push_back(wire::get_u64(payload));
      }
    }
    REQUIRE(seen.size() == 50);
    for (uint64_t i = 0; i < 50; ++i)
      CHECK(seen[i] == i);
  }
}

TEST_CASE("an oversized or unknown frame is an error, with no allocation for it") {
  wire::frame_reader reader{1024};
  std::vector<char> hdr;
  wire::put_u32(hdr, 0xFFFFFFF0u);
  hdr.push_back(3);
  hdr.push_back(0);
  wire::put_u16(hdr, 0);
  std::copy(hdr.begin(), hdr.end(), reader.reserve(hdr.size()));
  reader.commit(hdr.size());
  wire::header h;
  const char* payload = nullptr;
  std::string why;
  CHECK(reader.next(h, payload, why) == wire::frame_reader::result::error);
  CHECK(why.find("troupe.max-frame-size") != std::string::npos);
  CHECK(reader.capacity() < 4096);
  wire::frame_reader other{1024};
  std::vector<char> unknown(8, 0);
  unknown[4] = 99;
  std::copy(unknown.begin(), unknown.end(), other.reserve(8));
  other.commit(8);
  CHECK(other.next(h, payload, why) == wire::frame_reader::result::error);
}

TEST_CASE("a hello decodes only when it is well-formed") {
  auto h = some_hello(7);
  std::vector<char> buf;
  wire::encode(buf, h);
  std::string why;
  auto back = wire::decode_hello(buf.data() + wire::header_size,
                                 buf.size() - wire::header_size, why);
  REQUIRE(back);
  CHECK(back->process_id == h.process_id);
  CHECK(back->nonce == h.nonce);
  CHECK(!wire::decode_hello(buf.data() + wire::header_size, 10, why));
  auto bad = buf;
  bad[wire::header_size] ^= 1; // magic
  CHECK(!wire::decode_hello(bad.data() + wire::header_size,
                            bad.size() - wire::header_size, why));
  CHECK(why.find("magic") != std::string::npos);
}

TEST_CASE("a proof holds only for its secret, both nonces and its side") {
  auto dialer = some_hello(1);
  auto listener = some_hello(2);
  std::string s = "0123456789abcdef";
  auto proof = make_proof(s, dialer, listener, true);
  auto p = reinterpret_cast<const char*>(proof.data());
  // The listener checks what the dialer sent.
  CHECK(check_proof(s, dialer, listener, true, p, proof.size()));
  CHECK(!check_proof("another secret!!", dialer, listener, true, p, proof.size()));
  CHECK(!check_proof(s, dialer, listener, false, p, proof.size())); // reflected
  auto replay = listener;
  replay.nonce = make_nonce();
  CHECK(!check_proof(s, dialer, replay, true, p, proof.size()));
  CHECK(!check_proof(s, dialer, listener, true, p, proof.size() - 1));
}

TEST_CASE("a sequence claiming more elements than bytes are left is an error, "
          "not an allocation") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // fuzz_node_message found a std::vector<char> announced at 4 GB, which
  // CAF's own decoder allocates (and zero-fills) before it reads a byte.
  std::vector<char> bytes{'\xff', '\xff', '\xff', '\xff', '\x0f', 'a', 'b'};
  bounded_deserializer source{sys.dummy_execution_unit(), bytes.data(),
                              bytes.size()};
  std::vector<char> xs;
  CHECK(source(xs) == caf::sec::end_of_stream);
  CHECK(xs.capacity() < 1024);
  // What fits is read as before.
  std::vector<char> ok{'\x02', 'a', 'b'};
  bounded_deserializer fine{sys.dummy_execution_unit(), ok.data(), ok.size()};
  CHECK_FALSE(fine(xs));
  CHECK(xs == std::vector<char>{'a', 'b'});
}

TEST_CASE("a message holding a duration of an unknown unit is not renderable") {
  // fuzz_spawn_request: CAF's to_string of such a duration reads past its
  // table of unit names; the transport drops the message instead.
  auto bad = caf::duration{static_cast<caf::time_unit>(0x08080808), 1};
  CHECK_FALSE(renderable(caf::make_message(std::string{"x"}, bad)));
  CHECK_FALSE(renderable(caf::make_message(caf::make_message(bad))));
  CHECK(renderable(caf::make_message(caf::duration{caf::time_unit::seconds, 2})));
  // fuzz_node_message: an error renders its context, which a peer fills.
  caf::error reply{uint8_t{1}, caf::atom("peer"), caf::make_message(bad)};
  CHECK_FALSE(renderable(caf::make_message(reply)));
  caf::error fine{uint8_t{1}, caf::atom("peer"), caf::make_message(int32_t{1})};
  CHECK(renderable(caf::make_message(fine)));
  CHECK(renderable(caf::make_message(caf::error{}))); // no context to read
  // A peer's down frame carries a bare error: its context goes, its code
  // and category stay.
  auto kept = renderable_reason(reply);
  CHECK(kept.code() == 1);
  CHECK(kept.category() == caf::atom("peer"));
  CHECK(kept.context().empty());
  CHECK(renderable_reason(fine) == fine);
  CHECK(renderable_reason(fine).context().size() == 1);
}
