// bench_dist_troupe: the distributed benchmarks on troupe. Every figure
// involves separate OS processes on loopback (a real troupe cluster):
//   - ping-pong and throughput run between two worker nodes, w1 (pinger)
//     and w2 (ponger); this process only starts the series and collects the
//     result, so it is not in the measured loop (node-to-node cost only).
//   - remote_spawn and registry_lookup are measured from this process,
//     joined to the cluster as a client member: the public blocking API
//     (node::spawn_on, node::whereis) as a program calls it.
//   - join_N starts real `troupe node` processes (the troupe tool, found
//     next to this program's build or given with --troupe=PATH).
//   - failure_detection kills a worker node and takes the time at which
//     each survivor itself saw it down (member events on the survivors).
//   - dist_oneway and overload_peak_rss blast one-way messages from w1 at
//     a sink on w2 (troupe_flow.hpp).
// Every option this program does not know (CAF's or troupe's, e.g.
// --troupe.transport=basp) goes to every node it starts and to its own.
// The worker nodes of the other figures are this program in node mode
// (`bench_dist_troupe node ...`): the same runtime with default settings,
// registering the benchmark's actor types (troupe_types.hpp).

#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <troupe/troupe.hpp>

#include "dist/ping_actors.hpp"
#include "dist/troupe_cluster.hpp"
#include "dist/troupe_flow.hpp"
#include "dist/troupe_membership.hpp"
#include "dist/troupe_node.hpp"
#include "dist/troupe_types.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"

#ifndef BENCH_TROUPE_BINARY
#define BENCH_TROUPE_BINARY "troupe"
#endif

namespace {

using namespace bench;
using namespace bench::dist;
using namespace std::chrono_literals;

constexpr auto series_timeout = std::chrono::seconds(120);
constexpr auto call_timeout = std::chrono::seconds(10);

std::string fail_text(const std::string& what, const caf::error& err) {
  return what + ": " + troupe::render(err);
}

/// What every benchmark gets: options, paths, and the shared two-worker
/// cluster (started on first use).
struct context {
  options& opts;
  std::string troupe_binary;
  std::string log_dir;
  std::vector<std::string> caf_args;
  std::unique_ptr<bench_cluster> pair;
  caf::actor pinger; // on w1, aimed at a ponger on w2

  std::string logs(const std::string& name) const {
    return log_dir + "/" + name;
  }

  bench_cluster& pair_cluster() {
    if (!pair) {
      std::cerr << "  starting 2 worker nodes (logs in " << logs("pair")
                << ")\n";
      pair = std::make_unique<bench_cluster>(2, logs("pair"), caf_args);
    }
    return *pair;
  }

  /// A pinger on w1 with its ponger on w2.
  const caf::actor& node_pinger() {
    if (pinger)
      return pinger;
    auto& c = pair_cluster();
    auto p = c.client().spawn_on(c.worker(0), "bench-pinger", {}, call_timeout);
    if (!p)
      throw std::runtime_error(fail_text("spawning the pinger", p.error()));
    // w1 may not have its own connection to w2 yet: no event reaches this
    // process when it has, so retry a bounded number of times.
    caf::scoped_actor self{c.client().sys().actors()};
    auto deadline = clock_type::now() + 10s;
    for (;;) {
      caf::error err;
      self->request(*p, call_timeout, connect_atom::value, c.worker(1))
          .receive([] {}, [&](caf::error& e) { err = std::move(e); });
      if (!err)
        break;
      if (err != troupe::errc::node_down || clock_type::now() >= deadline)
        throw std::runtime_error(fail_text("placing the ponger", err));
      std::this_thread::sleep_for(20ms);
    }
    pinger = *p;
    return pinger;
  }
};

series_result run_series(context& ctx, uint32_t warmup, uint32_t rounds,
                         uint32_t window, std::chrono::nanoseconds duration) {
  auto& ping = ctx.node_pinger();
  caf::scoped_actor self{ctx.pair->client().sys().actors()};
  series_result res;
  caf::error err;
  self->request(ping, series_timeout, run_atom::value, warmup, rounds, window,
                static_cast<int64_t>(duration.count()))
      .receive([&](series_result& r) { res = std::move(r); },
               [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw std::runtime_error(fail_text("ping-pong series", err));
  if (res.out_of_order != 0)
    throw std::runtime_error(std::to_string(res.out_of_order)
                             + " pongs arrived out of order");
  return res;
}

void ping_pong(context& ctx) {
  auto rounds = ctx.opts.size<uint32_t>(20'000, 2'000);
  auto res = run_series(ctx, 1'000, rounds, 1, {});
  std::vector<double> us;
  for (auto ns : res.latencies_ns)
    us.push_back(static_cast<double>(ns) / 1e3);
  report("dist_ping_pong_p50", percentile(us, 0.5), "us");
  report("dist_ping_pong_p99", percentile(us, 0.99), "us");
}

void throughput(context& ctx) {
  auto duration = ctx.opts.quick ? std::chrono::nanoseconds{500ms}
                                 : std::chrono::nanoseconds{2s};
  auto res = run_series(ctx, 1'000, 0, 100, duration);
  report("dist_throughput",
         static_cast<double>(res.rounds) * 1e9
             / static_cast<double>(res.elapsed_ns),
         "per_s");
}

/// 1M one-way messages from w1 to w2, one confirmation at the end.
void oneway(context& ctx) {
  ctx.pair_cluster();
  auto count = ctx.opts.size<uint64_t>(1'000'000, 100'000);
  report("dist_oneway", oneway_per_s(*ctx.pair, count), "per_s");
}

/// A blaster on a fresh w1 at a slow sink on a fresh w2 (a cluster of its
/// own: VmHWM only grows, so earlier figures must not leave theirs).
void overload_rss(context& ctx) {
  auto duration = ctx.opts.quick ? std::chrono::nanoseconds{1s}
                                 : std::chrono::nanoseconds{3s};
  std::cerr << "  starting 2 worker nodes (logs in " << ctx.logs("overload")
            << ")\n";
  bench_cluster c{2, ctx.logs("overload"), ctx.caf_args};
  auto res = overload(c, duration);
  auto handled = static_cast<double>(duration.count()) / slow_sink_work_ns;
  std::cerr << "    sent " << res.sent << " messages in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(duration)
                   .count()
            << " ms, " << static_cast<double>(res.sent) / handled
            << "x what the sink handles in that time\n";
  report("overload_peak_rss_sender",
         static_cast<double>(res.sender_rss_kb) / 1024.0, "MB");
  report("overload_peak_rss_receiver",
         static_cast<double>(res.receiver_rss_kb) / 1024.0, "MB");
}

/// node::spawn_on from this (client) process to w2, plus one request to the
/// spawned actor (which then stops).
void remote_spawn(context& ctx) {
  auto n = ctx.opts.size(1'000, 100);
  auto& c = ctx.pair_cluster();
  auto& node = c.client();
  caf::scoped_actor self{node.sys().actors()};
  auto once = [&](int64_t i) {
    auto t0 = clock_type::now();
    auto hdl = node.spawn_on(c.worker(1), "bench-echo", {}, call_timeout);
    if (!hdl)
      throw std::runtime_error(fail_text("spawn_on", hdl.error()));
    caf::error err;
    self->request(*hdl, call_timeout, echo_atom::value, i)
        .receive(
            [&](int64_t x) {
              if (x != i)
                err = caf::sec::invalid_argument;
            },
            [&](caf::error& e) { err = std::move(e); });
    if (err)
      throw std::runtime_error(
          fail_text("request to a remotely spawned actor", err));
    return elapsed_ns(t0);
  };
  report("remote_spawn", median_us(20, n, once), "us");
}

/// node::whereis from this (client) process of a name registered by an
/// actor on w2.
void registry_lookup(context& ctx) {
  auto n = ctx.opts.size(10'000, 1'000);
  auto& c = ctx.pair_cluster();
  auto& node = c.client();
  const std::string name = "bench-registry-target";
  auto target = node.spawn_on(c.worker(1), "bench-named",
                              caf::make_message(name), call_timeout);
  if (!target)
    throw std::runtime_error(fail_text("spawn_on", target.error()));
  // The registration travels from w2 to this process in the background:
  // poll (bounded) until it has arrived.
  auto deadline = clock_type::now() + 10s;
  for (;;) {
    auto hdl = node.lookup(name);
    if (hdl && *hdl == *target)
      break;
    if (clock_type::now() >= deadline)
      throw std::runtime_error("\"" + name + "\" registered on " + c.worker(1)
                               + " was not visible here after "
                                 "10 s");
    std::this_thread::sleep_for(5ms);
  }
  std::vector<double> us;
  for (int64_t i = 0; i < n; ++i) {
    auto t0 = clock_type::now();
    auto hdl = node.lookup(name);
    auto ns = elapsed_ns(t0);
    if (!hdl || *hdl != *target)
      throw std::runtime_error(
          "lookup returned "
          + (hdl ? std::string{"another actor"} : troupe::render(hdl.error())));
    us.push_back(ns / 1e3);
  }
  report("registry_lookup", median(us), "us");
}

/// join_N: `runs` clusters of `n` nodes, the median. A start-up that fails
/// is retried once, loudly: on a loaded machine a node of a 16-node join
/// sometimes never gets the seed's answer to its join request and gives up
/// after troupe.join-timeout (its log says "no seed answered").
void join(context& ctx, int n, int runs) {
  if (access(ctx.troupe_binary.c_str(), X_OK) != 0)
    throw std::runtime_error("no troupe executable at " + ctx.troupe_binary
                             + "; build target troupe_cli or pass "
                               "--troupe=PATH");
  troupe::config cfg;
  cfg.set("troupe.log-level", "error");
  troupe::system sys{troupe::add_node_types(cfg)};
  auto id = "join_" + std::to_string(n);
  int run = 0;
  report(id,
         median_of(runs,
                   [&] {
                     auto logs = ctx.logs(id + "-" + std::to_string(++run));
                     try {
                       return join_ms(ctx.troupe_binary, sys, n, logs,
                                      ctx.caf_args);
                     } catch (std::exception& e) {
                       std::cerr << "  " << id << ": " << e.what() << "\n  "
                                 << id << ": retrying once\n";
                       return join_ms(ctx.troupe_binary, sys, n,
                                      logs + "-retry", ctx.caf_args);
                     }
                   }),
         "ms");
}

void failure_detection(context& ctx) {
  int run = 0;
  report("failure_detection",
         median_of(ctx.opts.runs(),
                   [&] {
                     return failure_detection_ms(
                         ctx.logs("fd-" + std::to_string(++run)), ctx.caf_args);
                   }),
         "ms");
}

struct benchmark {
  std::vector<const char*> ids;
  std::function<void(context&)> run;
};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"the distributed benchmarks on troupe; other options (CAF's "
               "or troupe's) go to every node",
               "bench_dist_troupe"};
  options opts;
  opts.add_to(app);
  std::string troupe_binary = BENCH_TROUPE_BINARY;
  app.add_option("--troupe", troupe_binary,
                 "the troupe tool, whose nodes the join figures start")
      ->type_name("PATH");
  // Also the worker nodes' program: `bench_dist_troupe node ...`.
  std::vector<troupe::tools::command> commands{add_node_command(app)};
  app.require_subcommand(0, 1);
  if (auto code = troupe::tools::parse(app, argc, argv))
    return *code;
  if (!app.get_subcommands().empty())
    return troupe::tools::run_parsed(app, commands);
  opts.collect(app, "bench_dist_troupe");
  // CAF or troupe options for every node.
  context ctx{opts, troupe_binary, {}, opts.caf_args, nullptr, nullptr};
  ctx.log_dir = "/tmp/bench-dist-troupe-" + std::to_string(getpid());
  std::filesystem::create_directories(ctx.log_dir);
  std::vector<benchmark> suite{
      {{"dist_ping_pong_p50", "dist_ping_pong_p99"}, ping_pong},
      {{"dist_throughput"}, throughput},
      {{"dist_oneway"}, oneway},
      {{"remote_spawn"}, remote_spawn},
      {{"registry_lookup"}, registry_lookup},
      {{"join_3"}, [](context& ctx) { join(ctx, 3, ctx.opts.runs()); }},
      {{"join_16"}, [](context& ctx) { join(ctx, 16, 1); }},
      {{"failure_detection"}, failure_detection},
      {{"overload_peak_rss_sender", "overload_peak_rss_receiver"},
       overload_rss},
  };
  std::cerr << "distributed benchmarks on troupe"
            << (opts.quick ? " (quick)" : "") << "; node logs in "
            << ctx.log_dir << "\n";
  int failures = 0;
  for (auto& b : suite) {
    bool wanted = false;
    for (auto id : b.ids)
      wanted = wanted || opts.wants(id);
    if (!wanted)
      continue;
    try {
      b.run(ctx);
    } catch (std::exception& e) {
      std::cerr << "  " << b.ids.front() << " FAILED: " << e.what() << "\n";
      ++failures;
    }
  }
  ctx.pinger = nullptr;
  ctx.pair.reset();
  if (failures == 0)
    std::filesystem::remove_all(ctx.log_dir);
  else
    std::cerr << "node logs kept in " << ctx.log_dir << "\n";
  return failures == 0 ? 0 : 1;
}
