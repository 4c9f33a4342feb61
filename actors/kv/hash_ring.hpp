#pragma once
// A consistent hash ring over node names, with virtual nodes.
//
// Each node owns `vnodes` points on a 64-bit ring; a key's preference list
// is the first n distinct nodes met walking clockwise from the key's hash.
// Adding a node only takes keys away from others (a key's list changes only
// if the new node enters it), and removing a node only affects the keys
// whose list held it: replicas move as little as possible.
//
// The hash is troupe::stable_hash (FNV-1a with a 64-bit finalizer) rather
// than std::hash, so that every process (and every build) agrees on placement.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::kv {

class hash_ring {
public:
  static constexpr uint32_t default_vnodes = 64;

  explicit hash_ring(uint32_t vnodes = default_vnodes);

  /// A ring holding `nodes` (duplicates ignored).
  static hash_ring of(const std::vector<std::string>& nodes,
                      uint32_t vnodes = default_vnodes);

  /// Adds a node; no-op if present.
  void add(const std::string& node);

  /// Removes a node; no-op if absent.
  void remove(const std::string& node);

  bool contains(const std::string& node) const;

  /// The member nodes, sorted by name.
  std::vector<std::string> nodes() const;

  size_t size() const noexcept {
    return nodes_.size();
  }

  bool empty() const noexcept {
    return nodes_.empty();
  }

  /// The preference list of `key`: min(n, size()) distinct nodes, the
  /// first one the key's primary.
  std::vector<std::string> replicas(std::string_view key, size_t n) const;

  /// True if `node` is among the first `n` nodes of `key`'s list.
  bool owns(const std::string& node, std::string_view key, size_t n) const;

  /// The ring's hash function (stable across processes and builds).
  static uint64_t hash(std::string_view text);

private:
  uint32_t vnodes_;
  std::set<std::string> nodes_;
  // Points ordered by (hash, node name): equal hashes of two nodes still
  // give one order on every process.
  std::set<std::pair<uint64_t, std::string>> points_;
};

} // namespace troupe::kv
