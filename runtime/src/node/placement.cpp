#include "troupe/placement.hpp"

#include <algorithm>
#include <random>

#include "troupe/stable_hash.hpp"

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
    case policy::key_hash:
      // The same on every node and every build (unlike std::hash), and
      // mixed in every bit, so similar keys spread over few members too.
      return stable_hash(key_) % up.size();
  }
  return 0;
}

} // namespace troupe
