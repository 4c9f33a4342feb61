#include "kv/kv_shard.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include <troupe/config.hpp>
#include <troupe/rpc.hpp>

#include "kv/hash_ring.hpp"

namespace troupe::kv {

namespace {

/// How long a handoff waits for the target to take one batch.
constexpr auto merge_deadline = std::chrono::seconds(5);

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

/// One handoff in progress: a cursor into the key space and the filter.
struct handoff_job {
  caf::actor target;
  hash_ring ring;
  std::string target_name;
  uint32_t n = 0;
  bool everything = false;
  std::string cursor;
  uint64_t sent = 0;
  caf::response_promise rp;
};

/// Sends the next batch of `job` (or finishes it). The cursor is a key, not
/// an iterator: puts may change the map between two batches. Keys written
/// after the handoff started may or may not be in it; the coordinator sends
/// those writes to the target itself.
void push_next(shard_actor* self, std::shared_ptr<handoff_job> job) {
  auto& data = self->state.data;
  std::vector<entry> batch;
  auto i = data.lower_bound(job->cursor);
  for (; i != data.end() && batch.size() < handoff_batch; ++i)
    if (job->everything || job->ring.owns(job->target_name, i->first, job->n))
      batch.push_back(entry{i->first, i->second.version, i->second.value});
  bool last = i == data.end();
  if (!last)
    job->cursor = i->first;
  if (batch.empty()) {
    job->rp.deliver(job->sent);
    return;
  }
  auto size = batch.size();
  self->request(job->target, merge_deadline, merge_atom::value, std::move(batch))
    .then(
      [self, job, size, last](uint64_t) {
        job->sent += size;
        if (last)
          job->rp.deliver(job->sent);
        else
          push_next(self, job);
      },
      [job](caf::error& err) {
        job->rp.deliver(troupe::rpc::classify(err, job->target));
      });
}

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
    [self](handoff_atom, caf::actor& target,
           std::vector<std::string>& ring_nodes, std::string& target_name,
           uint32_t n) -> caf::result<uint64_t> {
      auto job = std::make_shared<handoff_job>();
      job->target = std::move(target);
      job->everything = ring_nodes.empty();
      job->ring = hash_ring::of(ring_nodes);
      job->target_name = std::move(target_name);
      job->n = n;
      job->rp = self->make_response_promise();
      auto rp = job->rp;
      push_next(self, std::move(job));
      return rp;
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
