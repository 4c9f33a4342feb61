// `troupe demo pingpong`: round trips between actors in one process and
// across nodes. For each pair (pinger, ponger) it runs a latency series (one
// ping in flight: every round trip timed) and a throughput series (a window
// of pings in flight), then prints the latency percentiles and the rate.
// The summary checks that every ping got its pong, in order.

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/pingpong_actors.hpp"
#include "demos/demo_registry.hpp"
#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"

namespace {

using namespace std::chrono_literals;
using namespace troupe::demos::pingpong;
using troupe::demo::demo_cluster;
using troupe::demo::progress_line;

/// A series that reports nothing for this long has stalled (a node died or
/// froze): the demo fails instead of waiting forever.
constexpr auto stall_timeout = std::chrono::seconds(20);
constexpr auto call_timeout = std::chrono::seconds(10);

struct options {
  uint32_t rounds = 10000;
  uint32_t throughput_rounds = 30000;
  uint32_t window = 32;
  uint32_t warmup = 200;
  // Two nodes: one pair within a node, one between two nodes.
  troupe::demo::demo_cluster_options cluster
    = troupe::demo::demo_cluster_options::of("pingpong", 2);
};

constexpr const char* description =
  "Round trips between a pinger and a ponger in one node and across "
  "nodes: latency percentiles (one ping in flight) and throughput (W "
  "pings in flight).";


std::string format_duration(int64_t ns) {
  char buf[32];
  if (ns < 10'000)
    std::snprintf(buf, sizeof(buf), "%.1f us", ns / 1e3);
  else if (ns < 1'000'000)
    std::snprintf(buf, sizeof(buf), "%.0f us", ns / 1e3);
  else
    std::snprintf(buf, sizeof(buf), "%.2f ms", ns / 1e6);
  return buf;
}

std::string format_rate(double per_second) {
  char buf[32];
  if (per_second >= 1e6)
    std::snprintf(buf, sizeof(buf), "%.2fM", per_second / 1e6);
  else if (per_second >= 1e3)
    std::snprintf(buf, sizeof(buf), "%.1fk", per_second / 1e3);
  else
    std::snprintf(buf, sizeof(buf), "%.0f", per_second);
  return buf;
}

struct percentiles {
  int64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};

percentiles percentiles_of(std::vector<int64_t> xs) {
  percentiles p;
  if (xs.empty())
    return p;
  std::sort(xs.begin(), xs.end());
  // Nearest rank: the smallest sample with at least q of all samples at or
  // below it.
  auto at = [&](double q) {
    auto rank = static_cast<size_t>(q * static_cast<double>(xs.size()) + 0.999999);
    return xs[std::clamp<size_t>(rank, 1, xs.size()) - 1];
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = xs.back();
  return p;
}

struct pair_spec {
  std::string label;
  caf::actor pinger;
  caf::actor ponger;
};

struct pair_result {
  std::string label;
  percentiles latency;
  double throughput = 0;
  uint64_t pongs = 0;
  uint64_t out_of_order = 0;
};

/// The live line and the number of worker nodes up (re-read once a second:
/// it is a membership query).
class status {
public:
  status(demo_cluster& dc) : dc_(dc) {
  }

  void show(const std::string& what, uint64_t done, uint64_t total,
            std::chrono::steady_clock::time_point series_start) {
    auto now = std::chrono::steady_clock::now();
    if (now - nodes_read_ >= 1s) {
      nodes_up_ = dc_.workers().size();
      nodes_read_ = now;
    }
    auto secs = std::chrono::duration<double>(now - series_start).count();
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "[%5.1fs] %s: %" PRIu64 "/%" PRIu64
                  " round trips (%s/s) | %zu worker nodes up",
                  std::chrono::duration<double>(now - start_).count(),
                  what.c_str(), done, total,
                  format_rate(secs > 0 ? done / secs : 0).c_str(), nodes_up_);
    line.update(buf);
  }

  progress_line line;

private:
  demo_cluster& dc_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point nodes_read_{};
  size_t nodes_up_ = 0;
};

/// Runs one series on `p` and waits for its result, showing progress.
caf::expected<result> run_series(caf::scoped_actor& self, status& st,
                                 const pair_spec& p, const std::string& what,
                                 uint32_t warmup, uint32_t rounds,
                                 uint32_t window) {
  caf::error err;
  self
    ->request(p.pinger, call_timeout, run_atom::value, p.ponger, warmup, rounds,
              window, caf::actor_cast<caf::actor>(self))
    .receive([] {}, [&](caf::error& e) { err = std::move(e); });
  if (err)
    return err;
  auto series_start = std::chrono::steady_clock::now();
  auto last_news = series_start;
  std::optional<result> res;
  uint64_t done = 0;
  while (!res) {
    self->receive(
      [&](progress_atom, uint64_t n) {
        done = n;
        last_news = std::chrono::steady_clock::now();
      },
      [&](done_atom, result& r) { res = std::move(r); },
      caf::after(std::chrono::milliseconds(250)) >> [] {});
    if (res)
      break;
    if (std::chrono::steady_clock::now() - last_news > stall_timeout)
      return troupe::make_error(troupe::errc::timeout,
                                p.label + ": no progress for "
                                  + std::to_string(stall_timeout.count())
                                  + " s (did a node die? see the node logs)");
    st.show(p.label + " " + what, done, rounds, series_start);
  }
  return std::move(*res);
}

/// The command line: nothing if the demo may run, else its exit code.
std::optional<int> parse(int argc, char** argv, options& opt) {
  CLI::App args{description, argv[0]};
  troupe::tools::show_defaults(args);
  args.add_option("--rounds", opt.rounds, "timed round trips per pair")
    ->check(troupe::tools::in_range(1, 100'000'000));
  args.add_option("--throughput-rounds", opt.throughput_rounds,
                  "round trips of the throughput series")
    ->check(troupe::tools::in_range(1, 1'000'000'000));
  args.add_option("--window", opt.window,
                  "pings in flight in the throughput series")
    ->type_name("W")
    ->check(troupe::tools::in_range(1, 100'000));
  args.add_option("--warmup", opt.warmup,
                  "untimed round trips before each series")
    ->check(troupe::tools::in_range(1, 1'000'000));
  troupe::demo::add_cluster_options(args, opt.cluster,
                            "with 1 node there is no worker-to-worker pair");
  if (auto code = troupe::tools::parse(args, argc, argv))
    return code;
  return std::nullopt;
}

/// The cluster and the actors of the pairs (stopped when the run ends).
struct pp_run {
  options opt;
  std::unique_ptr<demo_cluster> dc;
  std::unique_ptr<troupe::demo::stop_on_exit> spawned;
  std::vector<pair_spec> pairs;
  std::vector<pair_result> results;
  std::string failure;

  /// Spawns `type` on worker `where`; null (the error printed) on failure.
  caf::actor spawn(const std::string& where, const std::string& type) {
    auto x = dc->client().spawn_on(where, type);
    if (!x) {
      std::cerr << "error: could not spawn " << type << " on " << where << ": "
                << troupe::render(x.error()) << "\n";
      return nullptr;
    }
    spawned->actors.push_back(*x);
    return *x;
  }
};

/// Pairs: within one worker node, between two worker nodes, and from this
/// (client) process to a worker node. False (the error printed) if one
/// could not be placed.
bool deploy(pp_run& r) {
  r.dc = demo_cluster::start(r.opt.cluster);
  if (!r.dc)
    return false;
  auto workers = r.dc->workers();
  if (workers.empty()) {
    std::cerr << "error: no worker node is up\n";
    return false;
  }
  r.spawned.reset(new troupe::demo::stop_on_exit{
    r.dc->sys(), caf::make_message(stop_atom::value), "an actor", {}});
  auto& a = workers[0].name;
  auto pinger_a = r.spawn(a, "pp-pinger");
  auto ponger_a = r.spawn(a, "pp-ponger");
  if (!pinger_a || !ponger_a)
    return false;
  r.pairs.push_back({"local (" + a + " -> " + a + ")", pinger_a, ponger_a});
  if (workers.size() >= 2) {
    auto& b = workers[1].name;
    auto ponger_b = r.spawn(b, "pp-ponger");
    if (!ponger_b)
      return false;
    r.pairs.push_back({"cross-node (" + a + " -> " + b + ")", pinger_a,
                       ponger_b});
  }
  auto client_pinger = spawn_pinger(r.dc->sys().actors());
  r.spawned->actors.push_back(client_pinger);
  r.pairs.push_back({"cross-node (client -> " + a + ")", client_pinger,
                     ponger_a});
  return true;
}

/// A latency and a throughput series per pair, one table row each.
void drive(pp_run& r) {
  auto& opt = r.opt;
  std::printf("%zu pairs; per pair %u timed round trips (1 in flight) and %u "
              "round trips with %u in flight, after %u warm-up round trips\n",
              r.pairs.size(), opt.rounds, opt.throughput_rounds, opt.window,
              opt.warmup);
  std::printf("%-28s %9s %9s %9s %9s | %s\n", "pair", "p50", "p90", "p99",
              "max", "throughput");
  std::fflush(stdout);
  caf::scoped_actor self{r.dc->sys().actors()};
  status st{*r.dc};
  for (auto& p : r.pairs) {
    auto lat = run_series(self, st, p, "latency", opt.warmup, opt.rounds, 1);
    if (!lat) {
      r.failure = troupe::render(lat.error());
      return;
    }
    auto thr = run_series(self, st, p, "throughput", opt.warmup,
                          opt.throughput_rounds, opt.window);
    if (!thr) {
      r.failure = troupe::render(thr.error());
      return;
    }
    pair_result x;
    x.label = p.label;
    x.latency = percentiles_of(std::move(lat->latencies_ns));
    x.throughput = thr->elapsed_ns > 0
                     ? thr->rounds * 1e9 / static_cast<double>(thr->elapsed_ns)
                     : 0;
    x.pongs = uint64_t{lat->rounds} + thr->rounds;
    x.out_of_order = lat->out_of_order + thr->out_of_order;
    char row[256];
    std::snprintf(row, sizeof(row), "%-28s %9s %9s %9s %9s | %s round trips/s%s",
                  x.label.c_str(), format_duration(x.latency.p50).c_str(),
                  format_duration(x.latency.p90).c_str(),
                  format_duration(x.latency.p99).c_str(),
                  format_duration(x.latency.max).c_str(),
                  format_rate(x.throughput).c_str(),
                  x.out_of_order ? " (pongs out of order!)" : "");
    st.line.note(row);
    r.results.push_back(std::move(x));
  }
}

/// Every ping got its pong, in order: the check and the summary.
bool check_and_report(const pp_run& r) {
  auto& opt = r.opt;
  if (!r.failure.empty()) {
    std::printf("summary: FAILED after %zu of %zu pairs: %s\n",
                r.results.size(), r.pairs.size(), r.failure.c_str());
    return false;
  }
  uint64_t pongs = 0;
  uint64_t out_of_order = 0;
  std::string parts;
  for (auto& x : r.results) {
    pongs += x.pongs;
    out_of_order += x.out_of_order;
    parts += x.label + " p50 " + format_duration(x.latency.p50) + ", p99 "
             + format_duration(x.latency.p99) + ", "
             + format_rate(x.throughput) + " round trips/s; ";
  }
  uint64_t expected = r.pairs.size()
                      * (uint64_t{opt.rounds} + opt.throughput_rounds);
  bool ok = pongs == expected && out_of_order == 0;
  std::printf("summary: %s%" PRIu64 " of %" PRIu64 " timed pongs received, %" PRIu64
              " out of order: %s\n",
              parts.c_str(), pongs, expected, out_of_order,
              ok ? "OK, every ping got its pong, in order"
                 : "MISMATCH (pongs lost, duplicated or reordered)");
  return ok;
}

int run(int argc, char** argv) {
  // Destroyed last: bounds the stop of everything below.
  troupe::demo::stop_watchdog watchdog;
  auto r = std::make_unique<pp_run>();
  if (auto code = parse(argc, argv, r->opt))
    return *code;
  if (!deploy(*r))
    return 1;
  drive(*r);
  auto ok = check_and_report(*r);
  watchdog.arm(std::chrono::seconds(60), "the pingers, the pongers and the cluster to stop");
  return ok ? 0 : 1;
}

troupe::demo::register_demo reg{
  "pingpong",
  "round-trip latency percentiles and throughput, local and across nodes",
  run};

} // namespace
