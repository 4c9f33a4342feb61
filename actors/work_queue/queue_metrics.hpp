#pragma once
// A work queue's metrics, labelled by its log path (one queue per log).
// Gauges are set where the queue changes, counters count events; each
// update is one relaxed atomic operation.

#include <string>

#include "troupe/metrics.hpp"

namespace troupe::wq {

struct queue_metrics {
  metrics::gauge* ready = nullptr;
  metrics::gauge* leased = nullptr;
  metrics::gauge* dead = nullptr;
  metrics::counter* enqueued = nullptr;
  metrics::counter* leases = nullptr;
  metrics::counter* acked = nullptr;
  metrics::counter* redelivered = nullptr;
  metrics::counter* dead_lettered = nullptr;
  metrics::counter* log_damaged_bytes = nullptr;

  void init(const std::string& log_path) {
    metrics::labels ls{{"queue", log_path}};
    using metrics::get_counter;
    using metrics::get_gauge;
    ready = &get_gauge("troupe_queue_ready", "jobs waiting for a worker", ls);
    leased = &get_gauge("troupe_queue_leased", "jobs a worker holds", ls);
    dead = &get_gauge("troupe_queue_dead_letters",
                      "jobs in the dead-letter "
                      "queue",
                      ls);
    enqueued = &get_counter("troupe_queue_enqueued_total", "jobs admitted", ls);
    leases = &get_counter("troupe_queue_leases_total", "jobs leased to workers",
                          ls);
    acked = &get_counter("troupe_queue_acked_total", "jobs completed", ls);
    redelivered = &get_counter("troupe_queue_redeliveries_total",
                               "failed or lost jobs made ready again", ls);
    dead_lettered = &get_counter("troupe_queue_dead_lettered_total",
                                 "jobs moved to the dead-letter queue", ls);
    log_damaged_bytes = &get_counter(
      "troupe_queue_log_damaged_bytes_total",
      "bytes of the log skipped at open as damage (torn tail included)", ls);
  }

  void depth(size_t r, size_t l, size_t d) {
    if (!ready)
      return;
    ready->set(static_cast<int64_t>(r));
    leased->set(static_cast<int64_t>(l));
    dead->set(static_cast<int64_t>(d));
  }
};

} // namespace troupe::wq
