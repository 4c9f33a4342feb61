#include "jobs_actors.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>

#include <troupe/errc.hpp>
#include <work_queue/work_queue.hpp>

namespace troupe::demo::jobs {

namespace {

/// A pull is a long poll: the queue answers errc::timeout after
/// `pull_wait`, well before the worker's own deadline (which only fires if
/// the queue is gone or unreachable).
constexpr auto pull_wait = std::chrono::milliseconds(500);
constexpr auto pull_deadline = std::chrono::seconds(5);

void pull(caf::event_based_actor* self, const caf::actor& queue,
          const caf::actor& sink) {
  self->request(queue, pull_deadline, wq::pull_atom::value,
                caf::timespan{pull_wait})
    .then(
      [self, queue, sink](uint64_t id, std::string& payload, uint32_t failures) {
        // Report first, acknowledge second: a worker that dies in between
        // causes a redelivery and a duplicate result, never a lost job.
        self->send(sink, result_atom::value, id, compute(payload), failures);
        self->send(queue, wq::ack_atom::value, id);
        pull(self, queue, sink);
      },
      [self, queue, sink](caf::error& err) {
        if (err.category() == errc_category
            && err.code() == static_cast<uint8_t>(errc::timeout)) {
          pull(self, queue, sink); // no job yet
          return;
        }
        // The queue is gone: nothing left to do here; the supervisor
        // decides what happens next.
        self->quit(err);
      });
}

} // namespace

uint64_t compute(const std::string& payload) {
  // FNV-1a, iterated: about a microsecond of work.
  uint64_t h = 14695981039346656037ull;
  for (int round = 0; round < 64; ++round)
    for (unsigned char c : payload) {
      h ^= c;
      h *= 1099511628211ull;
    }
  return h;
}

std::string payload_of(uint64_t id) {
  return "job-" + std::to_string(id);
}

caf::behavior worker(caf::event_based_actor* self, caf::actor queue,
                     caf::actor sink) {
  // A few pulls in flight hide the round trip to the queue's node.
  for (int i = 0; i < 4; ++i)
    pull(self, queue, sink);
  return {[](tally_atom) {}}; // never empty, or the worker would end
}

caf::behavior producer(caf::stateful_actor<producer_state>* self,
                       caf::actor queue, uint64_t jobs, uint64_t window) {
  self->state.jobs = jobs;
  self->state.window = window;
  auto send_next = std::make_shared<std::function<void()>>();
  *send_next = [self, queue, send_next] {
    auto& st = self->state;
    if (st.next >= st.jobs)
      return;
    auto id = st.next++;
    self->request(queue, std::chrono::seconds(60), wq::enqueue_atom::value, id,
                  payload_of(id))
      .then(
        [self, send_next](uint64_t) {
          ++self->state.accepted;
          (*send_next)();
        },
        [self, send_next, id](caf::error& err) {
          ++self->state.failed;
          std::cerr << "enqueue of job " << id
                    << " failed: " << troupe::render(err) << "\n";
          (*send_next)();
        });
  };
  auto fill_window = [self, send_next] {
    auto& st = self->state;
    auto in_flight = st.next - st.accepted - st.failed;
    for (auto i = in_flight; i < st.window; ++i)
      (*send_next)();
  };
  fill_window();
  return {
    [self, fill_window](more_atom, uint64_t n) {
      self->state.jobs += n;
      fill_window();
    },
    [self](tally_atom) {
      return caf::make_message(self->state.accepted, self->state.failed);
    },
  };
}

caf::behavior sink(caf::stateful_actor<sink_state>* self, uint64_t jobs) {
  self->state.done.resize(jobs, false);
  return {
    [self](result_atom, uint64_t id, uint64_t value, uint32_t failures) {
      auto& st = self->state;
      ++st.received;
      if (id >= st.done.size() || (!st.wanted.empty()
                                    && (id >= st.wanted.size() || !st.wanted[id]))
          || value != compute(payload_of(id))) {
        ++st.counts.wrong;
        return;
      }
      if (st.done[id]) {
        ++st.counts.duplicates;
        return;
      }
      st.done[id] = true;
      ++st.counts.completed;
      if (failures > 0)
        ++st.counts.redelivered;
    },
    [self](tally_atom) {
      auto& c = self->state.counts;
      return caf::make_message(c.completed, c.duplicates, c.wrong,
                               c.redelivered);
    },
    [self](more_atom, uint64_t n) {
      self->state.done.resize(self->state.done.size() + n, false);
    },
    [self](recount_atom) {
      auto& st = self->state;
      auto distinct = static_cast<uint64_t>(
        std::count(st.done.begin(), st.done.end(), true));
      return caf::make_message(distinct, st.received);
    },
  };
}

caf::behavior sink_for(caf::stateful_actor<sink_state>* self,
                       std::vector<uint64_t> ids) {
  auto size = ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end()) + 1;
  auto result = sink(self, size);
  self->state.wanted.assign(size, false);
  for (auto id : ids)
    self->state.wanted[id] = true;
  return result;
}

} // namespace troupe::demo::jobs
