#include "kv/kv_shard.hpp"

#include <map>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include <troupe/config.hpp>

#include "kv/hash_ring.hpp"

namespace troupe::kv {

namespace {

struct versioned {
  uint64_t version = 0;
  std::string value;
};

struct shard_state {
  std::map<std::string, versioned, std::less<>> data;
  caf::actor owner;

  /// Stores (version, value) for `key` if it is newer than what is held;
  /// returns the version held afterwards.
  uint64_t apply(const std::string& key, uint64_t version, std::string value) {
    auto [i, added] = data.try_emplace(key);
    auto& x = i->second;
    if (added || newer(version, value, x.version, x.value)) {
      x.version = version;
      x.value = std::move(value);
    }
    return x.version;
  }

  static constexpr const char* name = "kv-replica";
};

using shard_actor = caf::stateful_actor<shard_state>;

caf::behavior shard(shard_actor* self, caf::actor owner) {
  if (owner) {
    self->state.owner = owner;
    self->monitor(owner);
    self->set_down_handler([self](caf::down_msg& dm) {
      if (dm.source == self->state.owner)
        self->quit(caf::exit_reason::user_shutdown);
    });
  }
  return {
    [self](replica_put_atom, const std::string& key, uint64_t version,
           std::string& value) {
      return self->state.apply(key, version, std::move(value));
    },
    [self](replica_get_atom, const std::string& key)
      -> caf::result<uint64_t, std::string> {
      auto& data = self->state.data;
      auto i = data.find(key);
      if (i == data.end())
        return {uint64_t{0}, std::string{}};
      return {i->second.version, i->second.value};
    },
    [self](merge_atom, std::vector<entry>& xs) {
      uint64_t taken = 0;
      auto& data = self->state.data;
      for (auto& x : xs) {
        auto i = data.find(x.key);
        if (i != data.end()
            && !newer(x.version, x.value, i->second.version, i->second.value))
          continue;
        data[x.key] = versioned{x.version, std::move(x.value)};
        ++taken;
      }
      return taken;
    },
    [self](dump_atom, const std::string& from, uint32_t limit) {
      std::vector<entry> result;
      auto& data = self->state.data;
      for (auto i = data.lower_bound(from);
           i != data.end() && result.size() < limit; ++i)
        result.push_back(entry{i->first, i->second.version, i->second.value});
      return result;
    },
    [self](dump_atom, const std::string& from, uint32_t limit,
           const std::vector<std::string>& ring_nodes,
           const std::string& owner, uint32_t n) {
      // Scans until the page is full: a page costs O(keys scanned), which
      // is all keys at worst (a ring of a few nodes owns most of them).
      auto ring = hash_ring::of(ring_nodes);
      std::vector<entry> result;
      auto& data = self->state.data;
      for (auto i = data.lower_bound(from);
           i != data.end() && result.size() < limit; ++i)
        if (ring.owns(owner, i->first, n))
          result.push_back(
            entry{i->first, i->second.version, i->second.value});
      return result;
    },
    [self](count_atom) { return static_cast<uint64_t>(self->state.data.size()); },
  };
}

} // namespace

caf::actor spawn_shard(caf::actor_system& sys, caf::actor owner) {
  return sys.spawn(shard, std::move(owner));
}

void export_shard(troupe::config& cfg, const std::string& type_name) {
  cfg.export_type(type_name, shard);
}

} // namespace troupe::kv
