// The membership figures of bench_dist_troupe: join_N and
// failure_detection (see troupe_membership.hpp).

#include "dist/troupe_membership.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <troupe/troupe.hpp>

#include "dist/troupe_cluster.hpp"
#include "dist/troupe_types.hpp"
#include "harness/report.hpp"
#include "tools/local_cluster.hpp"

namespace bench::dist {

using namespace std::chrono_literals;

namespace {

constexpr auto call_timeout = std::chrono::seconds(10);

std::string fail_text(const std::string& what, const caf::error& err) {
  return what + ": " + troupe::render(err);
}

} // namespace

/// Launches `n` `troupe node` processes (the first, then the others at
/// once, as `troupe cluster up` does) and returns the time until every
/// one of them lists `n` members up.
double join_ms(const std::string& troupe_binary, troupe::system& sys, int n,
               const std::string& logs,
               const std::vector<std::string>& caf_args) {
  troupe::tools::local_cluster cluster{troupe_binary, logs};
  cluster.set_common_args(caf_args);
  // This process asks the nodes with their secret (or none on BASP).
  troupe::config cfg;
  cfg.set("troupe.log-level", "error");
  if (uses_basp(caf_args)) {
    cluster.without_secret();
    cfg.set("troupe.transport", "basp");
  } else {
    cfg.set("troupe.cookie-file", cluster.cookie_file());
  }
  troupe::system asker{troupe::add_node_types(cfg)};
  static_cast<void>(sys);
  auto t0 = clock_type::now();
  if (auto err = cluster.start(n, "j"))
    throw std::runtime_error("the troupe nodes did not start: " + *err);
  std::vector<bool> done(static_cast<size_t>(n), false);
  int remaining = n;
  double last_ms = 0;
  auto deadline = t0 + 60s;
  // Every node's view lives in that node: query each one until it lists
  // everyone up (bounded polling; no event reaches this process).
  while (remaining > 0) {
    for (size_t i = 0; i < done.size(); ++i) {
      if (done[i])
        continue;
      auto& nd = cluster.nodes()[i];
      auto view = troupe::query_members(asker.actors(), nd.host, nd.port, 2s);
      if (!view)
        continue;
      int up = 0;
      for (auto& m : *view)
        if (m.state == troupe::member_state::up)
          ++up;
      if (up == n && view->size() == static_cast<size_t>(n)) {
        done[i] = true;
        --remaining;
        last_ms = elapsed_ns(t0) / 1e6;
      }
    }
    if (remaining == 0)
      break;
    if (clock_type::now() >= deadline)
      throw std::runtime_error(std::to_string(remaining) + " of "
                               + std::to_string(n)
                               + " nodes did not list every member up within "
                                 "60 s; see the logs in "
                               + logs);
    std::this_thread::sleep_for(5ms);
  }
  return last_ms;
}

/// Three worker nodes up; SIGKILL w3; the time until both survivors have
/// seen it down, by their own clocks (steady_clock is CLOCK_MONOTONIC on
/// Linux: one clock for all processes of the machine).
double failure_detection_ms(const std::string& logs,
                            const std::vector<std::string>& caf_args) {
  bench_cluster c{3, logs, caf_args};
  auto& node = c.client();
  auto victim = c.worker(2);
  caf::scoped_actor self{node.sys().actors()};
  // One watcher per survivor; its answer to `connect` means that it is
  // subscribed and its node sees w3 up.
  for (size_t i = 0; i < 2; ++i) {
    auto w
        = node.spawn_on(c.worker(i), "bench-watcher",
                        caf::make_message(c.worker(i), victim), call_timeout);
    if (!w)
      throw std::runtime_error(fail_text("spawning a watcher", w.error()));
    caf::error err;
    self->request(*w, call_timeout, connect_atom::value,
                  caf::actor_cast<caf::actor>(self))
        .receive([] {}, [&](caf::error& e) { err = std::move(e); });
    if (err)
      throw std::runtime_error(fail_text("the watcher on " + c.worker(i), err));
  }
  auto pid = c.nodes().nodes()[2].pid;
  auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGKILL);
  int64_t last_seen_ns = 0;
  auto seen_deadline = clock_type::now() + 30s;
  std::string failure;
  for (int seen = 0; seen < 2 && failure.empty();) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        seen_deadline - clock_type::now());
    if (left.count() <= 0) {
      failure = "the survivors did not see " + victim + " down within 30 s";
      break;
    }
    self->receive(
        [&](seen_atom, const std::string& who, int32_t kind, int64_t at_ns) {
          ++seen;
          if (kind != troupe::member_event::member_down)
            failure = who + " saw " + victim + " "
                      + troupe::to_string(
                          static_cast<troupe::member_event::kind_t>(kind))
                      + ", not down";
          last_seen_ns = std::max(last_seen_ns, at_ns);
        },
        caf::after(left) >> [] {});
  }
  c.nodes().signal(2, SIGKILL); // reap it
  if (!failure.empty()) {
    // What each survivor sees, for the error message.
    for (size_t i = 0; i < 2; ++i) {
      auto& nd = c.nodes().nodes()[i];
      auto view = troupe::query_members(node.sys().actors(), nd.host, nd.port,
                                        call_timeout);
      failure += "; " + nd.name + " sees";
      if (!view)
        failure += " nothing (" + troupe::render(view.error()) + ")";
      else
        for (auto& m : *view)
          failure += " " + m.name + "=" + troupe::to_string(m.state);
    }
    throw std::runtime_error(failure);
  }
  auto t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   t0.time_since_epoch())
                   .count();
  return static_cast<double>(last_seen_ns - t0_ns) / 1e6;
}

} // namespace bench::dist
