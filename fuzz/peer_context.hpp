#pragma once
// What the fuzz targets that decode a peer's bytes share: an actor system
// with a troupe node's type set (troupe::system::prepare plus
// troupe::add_node_types, as `troupe node` has it), and an execution unit
// with a proxy registry, which is what CAF's BASP broker hands its
// binary_deserializer when it reads a message from a connection.
//
// Actor handles of other nodes go through the proxy registry like a real
// peer's, but the registry's backend makes no proxy (the handle decodes as
// null): a proxy is an actor of the middleman, not part of decoding, and
// the registry is cleared after every input so the fuzzer's made-up node
// ids do not pile up.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/fwd.hpp>
#include <caf/proxy_registry.hpp>
#include <caf/scoped_execution_unit.hpp>

#include "transport/bounded_deserializer.hpp"
#include "transport/message_check.hpp"

namespace troupe {
class config;
} // namespace troupe

namespace troupe::fuzz {

class peer_context final : public caf::proxy_registry::backend {
public:
  /// The process's one context (created on first use).
  static peer_context& get();

  /// Registers more message types (beside a node's) in the context's actor
  /// system; call before the first get(), e.g. from LLVMFuzzerInitialize.
  static void add_types(void (*fn)(config&));

  ~peer_context() override;

  caf::actor_system& system() {
    return *sys_;
  }

  /// The execution unit a deserializer of a peer's bytes gets.
  caf::execution_unit* unit() {
    return &unit_;
  }

  /// Forgets the proxies of the last input.
  void reset();

  caf::strong_actor_ptr make_proxy(caf::node_id, caf::actor_id) override;
  void set_last_hop(caf::node_id*) override;

private:
  peer_context();

  struct impl;
  impl* impl_;
  caf::actor_system* sys_;
  caf::scoped_execution_unit unit_;
  caf::proxy_registry* proxies_;
};

/// CAF's encoding of `xs` (empty when CAF refuses to encode them).
template <class... Ts>
std::vector<char> encode(std::tuple<Ts...>& xs) {
  std::vector<char> buf;
  caf::binary_serializer sink{peer_context::get().unit(), buf};
  auto err = std::apply([&](auto&... x) { return sink(x...); }, xs);
  if (err)
    buf.clear();
  return buf;
}

/// Whether `ex` is what CAF 0.17.6's decoder throws for a variant whose
/// type index is out of range (caf/variant.hpp), e.g. a peer's
/// @config_value: std::runtime_error("invalid type found") escapes the
/// binary_deserializer instead of an error value, and in a node it escapes
/// the BASP worker that decodes the message
/// (tests/unit/fuzz_regressions_test.cpp). Known and reported; anything
/// else thrown is a new finding.
inline bool throws_known_caf_error(const std::runtime_error& ex) {
  return std::string{ex.what()} == "invalid type found";
}

/// Whether `xs` may hold an infinite double or float, which CAF 0.17.6
/// cannot encode: its pack754 halves infinity until it is below 2, forever
/// (caf/detail/ieee_754.hpp). A peer's bytes decode to one easily: a double
/// whose exponent bits are all ones (tests/unit/fuzz_regressions_test.cpp).
/// Told by CAF's own rendering of the values
/// (what its logs print): "inf" anywhere, inside strings too, which only
/// skips a round trip more than needed. Rendering also runs CAF's and
/// troupe's to_string code on every decoded value.
template <class... Ts>
bool may_hold_infinity(const std::tuple<Ts...>& xs) {
  // A duration of an unknown unit crashes CAF's to_string (found by
  // fuzz_spawn_request); troupe's transport drops a message holding one
  // (transport/message_check.hpp), so it is never rendered or re-encoded.
  bool unrenderable = false;
  std::apply(
      [&](const auto&... x) {
        auto check = [&](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, caf::message>)
            unrenderable = unrenderable || !troupe::detail::renderable(v);
          else if constexpr (std::is_same_v<std::decay_t<decltype(v)>,
                                            caf::duration>)
            unrenderable = unrenderable
                           || static_cast<uint32_t>(v.unit)
                                > static_cast<uint32_t>(
                                  caf::time_unit::nanoseconds);
        };
        (check(x), ...);
      },
      xs);
  if (unrenderable)
    return true;
  auto text = std::apply(
      [](const auto&... x) { return (caf::deep_to_string(x) + ...); }, xs);
  return text.find("inf") != std::string::npos;
}

/// Decodes `size` bytes as Ts... the way a node decodes a peer's bytes.
/// Whatever decodes must encode again, and that encoding must decode to a
/// value that encodes the same (serialization is a function of the value):
/// anything else aborts, so the fuzzer reports it as a crash. (Values CAF
/// cannot encode, see may_hold_infinity, skip the round trip.)
/// `use` sees every decoded value first, as the receiving node would.
template <class... Ts, class Use>
int decode(const uint8_t* data, size_t size, Use use) {
  auto& ctx = peer_context::get();
  std::tuple<Ts...> xs;
  // As troupe's transport decodes a peer's bytes (CAF's deserializer with
  // sequence lengths bounded by the bytes left: bounded_deserializer.hpp).
  troupe::detail::bounded_deserializer source{
      ctx.unit(), reinterpret_cast<const char*>(data), size};
  caf::error err;
  try {
    err = std::apply([&](auto&... x) { return source(x...); }, xs);
  } catch (const std::runtime_error& ex) {
    if (!throws_known_caf_error(ex))
      throw; // a new finding: libFuzzer reports the uncaught exception
    ctx.reset();
    return 0;
  }
  if (!err)
    use(xs);
  if (!err && !may_hold_infinity(xs)) {
    auto once = encode(xs);
    std::tuple<Ts...> ys;
    caf::binary_deserializer again{ctx.unit(), once};
    if (std::apply([&](auto&... y) { return again(y...); }, ys))
      std::abort(); // the encoding of a decoded value does not decode
    if (encode(ys) != once)
      std::abort(); // the value changed on its way through the encoding
  }
  ctx.reset();
  return 0;
}

template <class... Ts>
int decode(const uint8_t* data, size_t size) {
  return decode<Ts...>(data, size, [](std::tuple<Ts...>&) {});
}

/// A peer's message as CAF's BASP broker decodes the payload of a
/// dispatch_message (caf/io/basp/remote_message_handler.hpp): the
/// forwarding stack, then a caf::message of any registered type. An error
/// in it (a peer's error reply) is rendered as troupe renders errors for
/// its logs and users (troupe::render, the error categories' renderers).
int decode_peer_message(const uint8_t* data, size_t size);

} // namespace troupe::fuzz
