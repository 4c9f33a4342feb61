#pragma once
// One string hash that every node and every build computes alike (unlike
// std::hash): for values that nodes must agree on, such as the type-set id
// exchanged at join, placement::key_hash and the kv ring.

#include <cstdint>
#include <string_view>

namespace troupe {

/// FNV-1a (64 bit) of `text`, continuing from `h` (pass a previous result to
/// hash a sequence). Its low bits mix poorly for short, similar strings
/// ("key-1", "key-2"): use `stable_hash` where the bits are used to choose.
constexpr uint64_t fnv1a(std::string_view text,
                         uint64_t h = 0xcbf29ce484222325ull) noexcept {
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

/// splitmix64's finalizer: spreads every input bit over the whole word.
constexpr uint64_t mix64(uint64_t h) noexcept {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

/// FNV-1a followed by the splitmix64 finalizer: stable across processes,
/// builds and versions, and well mixed in every bit.
constexpr uint64_t stable_hash(std::string_view text) noexcept {
  return mix64(fnv1a(text));
}

} // namespace troupe
