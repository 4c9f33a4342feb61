#include "kv/hash_ring.hpp"

#include <algorithm>

#include "troupe/stable_hash.hpp"

namespace troupe::kv {

hash_ring::hash_ring(uint32_t vnodes) : vnodes_(std::max(vnodes, 1u)) {
}

hash_ring hash_ring::of(const std::vector<std::string>& nodes,
                        uint32_t vnodes) {
  hash_ring result{vnodes};
  for (auto& n : nodes)
    result.add(n);
  return result;
}

uint64_t hash_ring::hash(std::string_view text) {
  return stable_hash(text);
}

void hash_ring::add(const std::string& node) {
  if (!nodes_.insert(node).second)
    return;
  for (uint32_t i = 0; i < vnodes_; ++i)
    points_.emplace(hash(node + "#" + std::to_string(i)), node);
}

void hash_ring::remove(const std::string& node) {
  if (nodes_.erase(node) == 0)
    return;
  for (uint32_t i = 0; i < vnodes_; ++i)
    points_.erase({hash(node + "#" + std::to_string(i)), node});
}

bool hash_ring::contains(const std::string& node) const {
  return nodes_.count(node) > 0;
}

std::vector<std::string> hash_ring::nodes() const {
  return {nodes_.begin(), nodes_.end()};
}

std::vector<std::string> hash_ring::replicas(std::string_view key,
                                             size_t n) const {
  std::vector<std::string> result;
  n = std::min(n, nodes_.size());
  if (n == 0)
    return result;
  result.reserve(n);
  auto start = points_.lower_bound({hash(key), std::string{}});
  auto i = start;
  // At most one full turn: every node has a point, so n nodes are found.
  for (size_t visited = 0; visited < points_.size() && result.size() < n;
       ++visited) {
    if (i == points_.end())
      i = points_.begin();
    if (std::find(result.begin(), result.end(), i->second) == result.end())
      result.push_back(i->second);
    ++i;
  }
  return result;
}

bool hash_ring::owns(const std::string& node, std::string_view key,
                     size_t n) const {
  auto xs = replicas(key, n);
  return std::find(xs.begin(), xs.end(), node) != xs.end();
}

} // namespace troupe::kv
