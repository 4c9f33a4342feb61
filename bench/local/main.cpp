// The local benchmark suite, built twice from this file: once against troupe
// (bench_local_troupe, BENCH_TROUPE defined) and once against raw CAF
// (bench_local_caf). The workloads are the same code; only the environment
// that spawns and supervises differs. Prints RESULT lines (harness/report.hpp).

#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "harness/options.hpp"
#include "harness/report.hpp"
#include "local/big.hpp"
#include "local/contention.hpp"
#include "local/counting.hpp"
#include "local/fork_join.hpp"
#include "local/ping_pong.hpp"
#include "local/restart.hpp"
#include "local/spawn_idle.hpp"
#include "local/thread_ring.hpp"

#ifdef BENCH_TROUPE
#  include "local/troupe_env.hpp"
using env = bench::troupe_env;
#else
#  include "local/caf_env.hpp"
using env = bench::caf_env;
#endif

namespace {

using namespace bench;

struct benchmark {
  const char* id;
  std::function<void(options&)> run;
};

std::vector<benchmark> suite() {
  return {
    {"ping_pong",
     [](options& o) {
       auto rounds = o.size<int64_t>(1'000'000, 100'000);
       report("ping_pong", median_of(o.runs(), [&] {
                return ping_pong_ns<env>(o, rounds, false);
              }),
              "ns");
     }},
    {"ping_pong_named",
     [](options& o) {
       auto rounds = o.size<int64_t>(1'000'000, 100'000);
       report("ping_pong_named", median_of(o.runs(), [&] {
                return ping_pong_ns<env>(o, rounds, true);
              }),
              "ns");
     }},
    {"thread_ring",
     [](options& o) {
       auto hops = o.size<int64_t>(2'000'000, 200'000);
       report("thread_ring", median_of(o.runs(), [&] {
                return thread_ring_ns<env>(o, 503, hops);
              }),
              "ns");
     }},
    {"counting",
     [](options& o) {
       auto n = o.size<int64_t>(1'000'000, 100'000);
       report("counting",
              median_of(o.runs(), [&] { return counting_ns<env>(o, n); }),
              "ns");
     }},
    {"fork_join",
     [](options& o) {
       auto n = o.size<int64_t>(200'000, 50'000);
       report("fork_join",
              median_of(o.runs(), [&] { return fork_join_ns<env>(o, n); }),
              "ns");
     }},
    {"big",
     [](options& o) {
       auto pings = o.size<int64_t>(10'000, 1'000);
       report("big",
              median_of(o.runs(), [&] { return big_ns<env>(o, 100, pings); }),
              "ns");
     }},
    {"contention",
     [](options& o) {
       auto per_sender = o.size<int64_t>(62'500, 6'250);
       report("contention", median_of(o.runs(), [&] {
                return contention_ns<env>(o, 16, per_sender);
              }),
              "ns");
     }},
    {"spawn",
     [](options& o) {
       // One run: a million actors is already a long, stable measurement.
       auto n = o.size<int64_t>(1'000'000, 100'000);
       auto fig = spawn_idle<env>(o, n);
       report("idle_actor_bytes", fig.bytes_per_actor, "bytes");
       report("spawn_rate", fig.spawns_per_second, "per_s");
     }},
    {"restart",
     [](options& o) {
       auto rounds = o.size<int64_t>(2'000, 200);
       auto xs = restart_latencies<env>(o, rounds);
       report("restart_p50", percentile(xs, 0.5) / 1e3, "us");
       report("restart_p99", percentile(xs, 0.99) / 1e3, "us");
     }},
  };
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  if (auto code = parse(opts, std::string{"bench_local_"} + env::label,
                        std::string{"local benchmarks on "} + env::label
                          + "; other options go to CAF",
                        argc, argv))
    return *code;
  std::cerr << "local benchmarks on " << env::label
            << (opts.quick ? " (quick)" : "") << "\n";
  int failures = 0;
  for (auto& b : suite()) {
    if (!opts.wants(b.id))
      continue;
    try {
      b.run(opts);
    } catch (std::exception& e) {
      std::cerr << "  " << b.id << " FAILED: " << e.what() << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
