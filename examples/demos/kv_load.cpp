#include "demos/kv_load.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include <caf/all.hpp>

#include <troupe/rpc.hpp>

#include "kv/kv_protocol.hpp"

namespace troupe::demos::kv {

namespace store = troupe::kv;

void load_stats::count_error(const caf::error& err) {
  auto kind = store::error_kind(err);
  if (kind == "timeout")
    ++err_timeout;
  else if (kind == "node_down" || kind == "receiver_down")
    ++err_node_down;
  else if (kind == "no_quorum")
    ++err_no_quorum;
  else
    ++err_other;
}

std::string key_name(uint32_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key-%06u", i);
  return buf;
}

namespace {

/// Reads (and audits) at most this many keys at once.
constexpr size_t check_window = 32;
/// Attempts per key when reading everything back.
constexpr int verify_attempts = 3;
/// Most example lines a report carries.
constexpr size_t max_examples = 5;
constexpr uint32_t dump_page = 1000;

struct key_history {
  uint64_t acked_version = 0;
  std::string acked_value;
  /// Values of writes that failed after the acknowledged one.
  std::vector<std::string> maybe;

  bool written() const {
    return acked_version > 0;
  }

  /// True if a read may return (version, value).
  bool accepts(uint64_t version, const std::string& value) const {
    if (version == acked_version && value == acked_value)
      return true; // also "absent" for a key never acknowledged
    return version > acked_version
           && std::find(maybe.begin(), maybe.end(), value) != maybe.end();
  }

  std::string expected() const {
    return "(v" + std::to_string(acked_version) + ", \"" + acked_value + "\")";
  }
};

struct load_state {
  // Not an aggregate: CAF 0.17 constructs a state from the actor's own
  // pointer when it can, and C++20 lets an aggregate take that pointer as its
  // first member (here a caf::actor that would start as the actor itself).
  load_state() = default;
  caf::actor coord;
  load_options opt;
  std::shared_ptr<load_stats> stats;
  std::vector<key_history> keys;
  std::mt19937_64 rng;
  uint64_t seq = 0;
  uint32_t active = 0; ///< sessions still issuing
  bool stopping = false;
  caf::response_promise drained;

  static constexpr const char* name = "kv-load";
};

using load_actor = caf::stateful_actor<load_state>;

std::string describe(uint32_t k, uint64_t version, const std::string& value,
                     const key_history& h) {
  return key_name(k) + " read (v" + std::to_string(version) + ", \"" + value
         + "\"), latest acknowledged " + h.expected();
}

/// One operation of `session` on one of its keys; the reply starts the next.
void step(load_actor* self, uint32_t session) {
  auto& st = self->state;
  if (st.stopping) {
    if (--st.active == 0 && st.drained.pending())
      st.drained.deliver(caf::unit);
    return;
  }
  // Session s owns keys s, s + S, s + 2S... (S sessions).
  auto sessions = st.opt.sessions;
  uint32_t owned = (st.opt.keys - session + sessions - 1) / sessions;
  std::uniform_int_distribution<uint32_t> pick_key{0, owned - 1};
  std::uniform_int_distribution<uint32_t> pick_op{0, 99};
  uint32_t k = session + sessions * pick_key(st.rng);
  auto name = key_name(k);
  if (pick_op(st.rng) < st.opt.write_percent) {
    // Built by appending: GCC 12's -Wrestrict misfires on "lit" + string.
    std::string value = "s";
    value += std::to_string(session);
    value += '-';
    value += std::to_string(++st.seq);
    self
      ->request(st.coord, st.opt.deadline, store::put_atom::value, name, value)
      .then(
        [self, session, k, value](uint64_t version) {
          auto& h = self->state.keys[k];
          h.acked_version = version;
          h.acked_value = value;
          h.maybe.clear();
          ++self->state.stats->writes_acked;
          step(self, session);
        },
        [self, session, k, value](caf::error& err) {
          self->state.keys[k].maybe.push_back(value);
          self->state.stats->count_error(err);
          step(self, session);
        });
    return;
  }
  self->request(st.coord, st.opt.deadline, store::get_atom::value, name)
    .then(
      [self, session, k](uint64_t version, std::string& value) {
        auto& h = self->state.keys[k];
        if (h.accepts(version, value)) {
          ++self->state.stats->reads_ok;
        } else {
          ++self->state.stats->stale_reads;
          std::fprintf(stderr, "STALE READ: %s\n",
                       describe(k, version, value, h).c_str());
        }
        step(self, session);
      },
      [self, session](caf::error& err) {
        self->state.stats->count_error(err);
        step(self, session);
      });
}

struct verify_job {
  std::vector<uint32_t> todo;
  size_t next = 0;
  size_t running = 0;
  uint64_t checked = 0;
  uint64_t lost = 0;
  uint64_t unverified = 0;
  std::vector<std::string> examples;
  caf::response_promise rp;

  void example(std::string text) {
    if (examples.size() < max_examples)
      examples.push_back(std::move(text));
  }
};

void verify_next(load_actor* self, std::shared_ptr<verify_job> job);

void verify_key(load_actor* self, std::shared_ptr<verify_job> job, uint32_t k,
                int attempt) {
  ++job->running;
  auto& st = self->state;
  self
    ->request(st.coord, st.opt.deadline, store::get_atom::value, key_name(k))
    .then(
      [self, job, k](uint64_t version, std::string& value) {
        --job->running;
        ++job->checked;
        auto& h = self->state.keys[k];
        if (!h.accepts(version, value)) {
          ++job->lost;
          job->example(describe(k, version, value, h));
        }
        verify_next(self, job);
      },
      [self, job, k, attempt](caf::error& err) {
        --job->running;
        if (attempt < verify_attempts) {
          verify_key(self, job, k, attempt + 1);
          return;
        }
        ++job->unverified;
        job->example(key_name(k) + " could not be read: "
                     + store::render(err));
        verify_next(self, job);
      });
}

void verify_next(load_actor* self, std::shared_ptr<verify_job> job) {
  while (job->running < check_window && job->next < job->todo.size())
    verify_key(self, job, job->todo[job->next++], 1);
  if (job->running == 0 && job->next == job->todo.size())
    job->rp.deliver(job->checked, job->lost, job->unverified, job->examples);
}

struct audit_job {
  std::vector<caf::actor> replicas;
  uint32_t want = 0;
  size_t current = 0;
  std::string from;
  std::vector<uint32_t> copies; ///< per key
  caf::response_promise rp;
};

void audit_finish(load_actor* self, std::shared_ptr<audit_job> job) {
  uint64_t keys = 0;
  uint64_t min_copies = ~uint64_t{0};
  std::vector<std::string> examples;
  for (uint32_t k = 0; k < self->state.keys.size(); ++k) {
    if (!self->state.keys[k].written())
      continue;
    ++keys;
    min_copies = std::min<uint64_t>(min_copies, job->copies[k]);
    if (job->copies[k] < job->want && examples.size() < max_examples)
      examples.push_back(key_name(k) + ": latest acknowledged write on "
                         + std::to_string(job->copies[k]) + " replicas");
  }
  if (keys == 0)
    min_copies = 0;
  job->rp.deliver(keys, min_copies, examples);
}

/// Pages through replica `job->current`, then the next one.
void audit_next(load_actor* self, std::shared_ptr<audit_job> job) {
  if (job->current == job->replicas.size()) {
    audit_finish(self, job);
    return;
  }
  auto& replica = job->replicas[job->current];
  self
    ->request(replica, self->state.opt.deadline, store::dump_atom::value,
              job->from, dump_page)
    .then(
      [self, job](std::vector<store::entry>& page) {
        auto& keys = self->state.keys;
        for (auto& e : page) {
          // Keys of this run are "key-NNNNNN"; ignore anything else.
          if (e.key.size() < 5 || e.key.compare(0, 4, "key-") != 0)
            continue;
          auto k = std::strtoul(e.key.c_str() + 4, nullptr, 10);
          if (k >= keys.size() || !keys[k].written())
            continue;
          auto& h = keys[k];
          if (e.version > h.acked_version
              || (e.version == h.acked_version && e.value == h.acked_value))
            ++job->copies[k];
        }
        if (page.empty()) {
          ++job->current;
          job->from.clear();
        } else {
          job->from = page.back().key + '\0';
        }
        audit_next(self, job);
      },
      [self, job, replica](caf::error& err) {
        job->rp.deliver(troupe::rpc::classify(err, replica));
      });
}

caf::behavior load(load_actor* self, caf::actor coord, load_options opt,
                   std::shared_ptr<load_stats> stats) {
  auto& st = self->state;
  st.coord = std::move(coord);
  st.opt = opt;
  st.stats = std::move(stats);
  st.keys.resize(opt.keys);
  st.rng.seed(opt.seed);
  st.active = opt.sessions;
  for (uint32_t s = 0; s < opt.sessions; ++s)
    step(self, s);
  return {
    [self](drain_atom) -> caf::result<void> {
      auto& st = self->state;
      st.stopping = true;
      if (st.active == 0)
        return caf::unit;
      st.drained = self->make_response_promise();
      return st.drained;
    },
    [self](verify_atom) {
      auto job = std::make_shared<verify_job>();
      auto& keys = self->state.keys;
      for (uint32_t k = 0; k < keys.size(); ++k)
        if (keys[k].written())
          job->todo.push_back(k);
      job->rp = self->make_response_promise();
      auto rp = job->rp;
      verify_next(self, std::move(job));
      return rp;
    },
    [self](audit_atom, std::vector<caf::actor>& replicas, uint32_t want) {
      auto job = std::make_shared<audit_job>();
      job->replicas = std::move(replicas);
      job->want = want;
      job->copies.resize(self->state.keys.size());
      job->rp = self->make_response_promise();
      auto rp = job->rp;
      audit_next(self, std::move(job));
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_load(caf::actor_system& sys, caf::actor coordinator,
                      load_options opt, std::shared_ptr<load_stats> stats) {
  return sys.spawn(load, std::move(coordinator), opt, std::move(stats));
}

final_check check_store(caf::actor_system& sys, const caf::actor& load,
                        std::vector<caf::actor> replicas, uint32_t want,
                        caf::timespan timeout) {
  final_check fc;
  caf::scoped_actor self{sys};
  self->request(load, timeout, verify_atom::value)
    .receive(
      [&](uint64_t c, uint64_t l, uint64_t u, std::vector<std::string>& xs) {
        fc.checked = c;
        fc.lost = l;
        fc.unverified = u;
        fc.verify_ok = true;
        fc.examples = std::move(xs);
      },
      [&](caf::error& err) {
        fc.examples.push_back("read-back failed: " + troupe::render(err));
      });
  self->request(load, timeout, audit_atom::value, replicas, want)
    .receive(
      [&](uint64_t keys, uint64_t copies, std::vector<std::string>& xs) {
        fc.audited = keys;
        fc.min_copies = copies;
        fc.audit_ok = true;
        fc.examples.insert(fc.examples.end(), xs.begin(), xs.end());
      },
      [&](caf::error& err) {
        fc.examples.push_back("replica audit failed: " + troupe::render(err));
      });
  return fc;
}

} // namespace troupe::demos::kv
