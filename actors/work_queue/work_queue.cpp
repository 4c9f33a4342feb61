#include "work_queue/work_queue.hpp"

#include <deque>
#include <map>
#include <set>
#include <vector>

#include <caf/all.hpp>

#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "work_queue/job_log.hpp"
#include "work_queue/queue_metrics.hpp"

namespace troupe::wq {

namespace {

/// (lease_atom, job id, lease seq): the lease timer; it expires the lease
/// only if the job still holds lease `seq` (an earlier lease's timer is
/// stale). ipc_work_queue_test.cpp sends it by hand to play a late timer.
using lease_atom = caf::atom_constant<caf::atom("wq_lease")>;
using pull_expired_atom = caf::atom_constant<caf::atom("wq_pullexp")>;

/// A pull waiting for a job; `token` names its expiry (0: waits forever).
struct waiting_worker {
  caf::response_promise rp;
  uint64_t token = 0;
};

struct job {
  std::string payload;
  uint32_t failures = 0;
  bool leased = false;
  caf::actor_addr worker;
  uint64_t lease_seq = 0;
};

struct waiting_producer {
  caf::response_promise rp;
  uint64_t id;
  std::string payload;
};

struct queue_state {
  queue_config cfg;
  job_log log;
  std::map<uint64_t, job> jobs; // ready + leased
  std::deque<uint64_t> ready;   // ids, oldest first
  std::vector<uint64_t> dead;
  std::map<uint64_t, std::string> dead_payloads;
  std::deque<waiting_worker> waiting_workers;
  uint64_t pull_tokens = 0;
  std::deque<waiting_producer> waiting_producers;
  std::set<caf::actor_addr> monitored;
  uint64_t next_seq = 0;
  size_t leased = 0;
  queue_metrics m;
  void sample() {
    m.depth(ready.size(), leased, dead.size());
  }
  static inline const char* name = "troupe.work_queue";
};

using queue_actor = caf::stateful_actor<queue_state>;

void must_log(queue_actor* self, const record& rec) {
  if (!self->state.log.append(rec))
    self->quit(make_error(errc::invalid_config,
                          "cannot write the work queue log "
                            + self->state.cfg.log_path));
}

void maybe_compact(queue_actor* self) {
  auto& st = self->state;
  auto live = st.jobs.size() + st.dead.size();
  if (st.log.records() < 1024 || st.log.records() < 4 * live)
    return;
  std::vector<record> recs;
  auto keep = [&](uint64_t id, const job& j) {
    recs.push_back({record_kind::enqueue, id, j.payload});
    for (uint32_t i = 0; i < j.failures; ++i)
      recs.push_back({record_kind::fail, id, {}});
  };
  // Leased jobs first (they were delivered earliest), then the ready ones
  // in queue order, so a replay hands jobs out in the same order.
  for (auto& [id, j] : st.jobs)
    if (j.leased)
      keep(id, j);
  for (auto id : st.ready)
    keep(id, st.jobs[id]);
  for (auto id : st.dead) {
    recs.push_back({record_kind::enqueue, id, st.dead_payloads[id]});
    recs.push_back({record_kind::dead, id, {}});
  }
  if (!st.log.compact(recs))
    self->quit(make_error(errc::invalid_config, "work queue compaction failed"));
}

void lease_to(queue_actor* self, caf::response_promise& rp, uint64_t id) {
  auto& st = self->state;
  auto& j = st.jobs[id];
  j.leased = true;
  j.lease_seq = ++st.next_seq;
  auto src = rp.source();
  j.worker = caf::actor_cast<caf::actor_addr>(src);
  if (src && st.monitored.insert(j.worker).second)
    self->monitor(src);
  ++st.leased;
  st.m.leases->add();
  st.sample();
  self->delayed_send(self, st.cfg.lease, lease_atom::value, id, j.lease_seq);
  rp.deliver(id, j.payload, j.failures);
}

// Hands ready jobs to waiting workers.
void dispatch(queue_actor* self) {
  auto& st = self->state;
  while (!st.ready.empty() && !st.waiting_workers.empty()) {
    auto rp = std::move(st.waiting_workers.front().rp);
    st.waiting_workers.pop_front();
    auto id = st.ready.front();
    st.ready.pop_front();
    lease_to(self, rp, id);
  }
}

void admit(queue_actor* self, uint64_t id, std::string payload) {
  auto& st = self->state;
  must_log(self, {record_kind::enqueue, id, payload});
  st.jobs[id].payload = std::move(payload);
  st.ready.push_back(id);
  st.m.enqueued->add();
  st.sample();
}

// Lets waiting producers in while there is room.
void admit_waiting(queue_actor* self) {
  auto& st = self->state;
  while (!st.waiting_producers.empty() && st.jobs.size() < st.cfg.capacity) {
    auto wp = std::move(st.waiting_producers.front());
    st.waiting_producers.pop_front();
    if (!st.jobs.count(wp.id))
      admit(self, wp.id, std::move(wp.payload));
    wp.rp.deliver(wp.id);
  }
  dispatch(self);
}

void remove_job(queue_actor* self, uint64_t id) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end())
    return;
  if (i->second.leased)
    --st.leased;
  else
    std::erase(st.ready, id);
  st.jobs.erase(i);
  st.sample();
}

// One failure of job `id`: redeliver or move to the dead-letter queue.
void fail_job(queue_actor* self, uint64_t id) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end())
    return;
  auto& j = i->second;
  must_log(self, {record_kind::fail, id, {}});
  ++j.failures;
  if (j.leased) {
    j.leased = false;
    --st.leased;
  } else {
    std::erase(st.ready, id);
  }
  if (j.failures >= st.cfg.max_failures) {
    must_log(self, {record_kind::dead, id, {}});
    st.dead.push_back(id);
    st.dead_payloads[id] = std::move(j.payload);
    st.jobs.erase(i);
    st.m.dead_lettered->add();
    st.sample();
    admit_waiting(self);
  } else {
    st.ready.push_back(id);
    st.m.redelivered->add();
    st.sample();
    dispatch(self);
  }
}

void replay(queue_actor* self, std::vector<record>& recs) {
  auto& st = self->state;
  for (auto& r : recs) {
    switch (r.kind) {
      case record_kind::enqueue:
        if (!st.jobs.count(r.id)) {
          st.jobs[r.id].payload = std::move(r.payload);
          st.ready.push_back(r.id);
        }
        break;
      case record_kind::ack:
        remove_job(self, r.id);
        break;
      case record_kind::fail:
        if (auto i = st.jobs.find(r.id); i != st.jobs.end())
          ++i->second.failures;
        break;
      case record_kind::dead:
        if (auto i = st.jobs.find(r.id); i != st.jobs.end()) {
          st.dead.push_back(r.id);
          st.dead_payloads[r.id] = std::move(i->second.payload);
          remove_job(self, r.id);
        }
        break;
    }
  }
}

/// Logs what opening the log skipped: each damaged range, the torn tail.
void report_damage(const job_log& log, const std::string& path,
                   queue_metrics& m) {
  uint64_t bytes = log.truncated_bytes();
  for (auto& d : log.damage()) {
    bytes += d.bytes;
    log::warning("work_queue",
                 path + ": skipped " + std::to_string(d.bytes)
                   + " damaged bytes at offset " + std::to_string(d.offset)
                   + " (after record " + std::to_string(d.records_before)
                   + "); reading resumed at the next valid record");
  }
  if (!log.damage().empty())
    log::warning("work_queue", path + ": the damaged file is kept as "
                                 + log.kept_aside() + "; "
                                 + std::to_string(log.records())
                                 + " valid records were rewritten to the log");
  if (log.truncated_bytes() > 0)
    log::warning("work_queue", path + ": cut a torn tail of "
                                 + std::to_string(log.truncated_bytes())
                                 + " bytes (a write the crash interrupted)");
  if (bytes > 0)
    m.log_damaged_bytes->add(bytes);
}

caf::behavior queue(queue_actor* self, queue_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.m.init(st.cfg.log_path);
  std::string err;
  auto recs = st.log.open(st.cfg.log_path, st.cfg.fsync_every, err);
  if (!err.empty()) {
    self->quit(make_error(errc::invalid_config, err));
    return {};
  }
  report_damage(st.log, st.cfg.log_path, st.m);
  replay(self, recs);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    st.monitored.erase(dm.source);
    std::vector<uint64_t> lost;
    for (auto& [id, j] : st.jobs)
      if (j.leased && j.worker == dm.source)
        lost.push_back(id);
    for (auto id : lost)
      fail_job(self, id);
  });
  return {
    [=](enqueue_atom, uint64_t id, std::string& payload) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (st.jobs.count(id))
        return id;
      if (st.jobs.size() < st.cfg.capacity) {
        admit(self, id, std::move(payload));
        dispatch(self);
        return id;
      }
      if (!st.cfg.block_when_full
          || st.waiting_producers.size() >= st.cfg.max_waiting_producers)
        return make_error(errc::queue_full,
                          "work queue holds " + std::to_string(st.jobs.size())
                            + " jobs");
      auto rp = self->make_response_promise<uint64_t>();
      st.waiting_producers.push_back({rp, id, std::move(payload)});
      return rp;
    },
    [=](pull_atom) {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      st.waiting_workers.push_back({rp, 0});
      dispatch(self);
      return rp;
    },
    [=](pull_atom, caf::timespan max_wait) {
      // A long poll: without a job within max_wait the worker gets
      // errc::timeout from us, before its own request deadline, so a job is
      // never leased to a request its sender has already given up on (the
      // reply would be dropped and the job held until the lease expires).
      auto& st = self->state;
      auto rp = self->make_response_promise();
      auto token = ++st.pull_tokens;
      st.waiting_workers.push_back({rp, token});
      dispatch(self);
      if (!st.waiting_workers.empty() && st.waiting_workers.back().token == token)
        self->delayed_send(self, max_wait, pull_expired_atom::value, token);
      return rp;
    },
    [=](pull_expired_atom, uint64_t token) {
      auto& ws = self->state.waiting_workers;
      for (auto i = ws.begin(); i != ws.end(); ++i)
        if (i->token == token) {
          i->rp.deliver(make_error(errc::timeout, "no job became ready"));
          ws.erase(i);
          return;
        }
    },
    [=](ack_atom, uint64_t id) {
      auto& st = self->state;
      if (!st.jobs.count(id))
        return; // already acked or redelivered and acked: at-least-once
      must_log(self, {record_kind::ack, id, {}});
      if (self->state.jobs.count(id))
        self->state.m.acked->add();
      remove_job(self, id);
      admit_waiting(self);
      maybe_compact(self);
    },
    [=](nack_atom, uint64_t id) { fail_job(self, id); },
    [=](lease_atom, uint64_t id, uint64_t seq) {
      auto& st = self->state;
      auto i = st.jobs.find(id);
      if (i != st.jobs.end() && i->second.leased && i->second.lease_seq == seq)
        fail_job(self, id);
    },
    [=](dead_atom) { return self->state.dead; },
    [=](held_atom) {
      std::vector<uint64_t> ids;
      ids.reserve(self->state.jobs.size());
      for (auto& entry : self->state.jobs) // a std::map: ascending
        ids.push_back(entry.first);
      return ids;
    },
    [=](stats_atom) {
      auto& st = self->state;
      return caf::make_message(st.ready.size(), st.leased, st.dead.size(),
                               st.log.records());
    },
    [=](log_damage_atom) {
      auto& log = self->state.log;
      uint64_t bytes = log.truncated_bytes();
      for (auto& d : log.damage())
        bytes += d.bytes;
      return caf::make_message(bytes, uint64_t{log.damage().size()},
                               log.kept_aside());
    },
  };
}

} // namespace

caf::actor spawn_queue(caf::actor_system& sys, queue_config cfg) {
  return sys.spawn(queue, std::move(cfg));
}

} // namespace troupe::wq
