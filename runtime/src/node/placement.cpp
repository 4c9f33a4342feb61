#include "troupe/placement.hpp"

#include <algorithm>
#include <random>

namespace troupe {

size_t placement::pick(const std::vector<member_info>& up, uint64_t turn) const {
  switch (kind_) {
    case policy::round_robin:
      return turn % up.size();
    case policy::least_loaded: {
      auto it = std::min_element(up.begin(), up.end(), [](auto& a, auto& b) {
        return a.actors + a.backlog < b.actors + b.backlog;
      });
      return static_cast<size_t>(it - up.begin());
    }
    case policy::random: {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      return std::uniform_int_distribution<size_t>{0, up.size() - 1}(rng);
    }
    case policy::key_hash: {
      // FNV-1a: the same on every node and every build, unlike std::hash.
      uint64_t h = 14695981039346656037ull;
      for (unsigned char c : key_) {
        h ^= c;
        h *= 1099511628211ull;
      }
      return h % up.size();
    }
  }
  return 0;
}

} // namespace troupe
