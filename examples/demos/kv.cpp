// `troupe demo kv`: a sharded, replicated key-value store on the worker
// nodes (one replica per node, keys on a consistent hash ring, N=3 copies,
// writes acknowledged by W=2 and reads answered by R=2 replicas; see
// actors/kv/), with a client in this process that writes and reads through
// the store's coordinator and checks every answer. Mid-run the demo
// SIGKILLs a worker node; the store keeps serving from the other replicas.
// Later it restarts the node, whose empty replica gets its keys back by
// handoff before it serves again. The summary checks that every
// acknowledged write is read back with its latest value and is held by at
// least W live replicas; the exit code is non-zero if one was lost.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/kv_deployment.hpp"
#include "demos/kv_load.hpp"
#include "demos/kv_outage.hpp"
#include "kv/kv_shard.hpp"
#include "demos/demo_registry.hpp"
#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"

namespace {

using namespace std::chrono_literals;
using namespace troupe::demos::kv;
namespace store = troupe::kv;
using troupe::demo::demo_cluster;
using troupe::demo::progress_line;
using clock_type = std::chrono::steady_clock;

/// Bound of every wait for the cluster to settle (replicas serving, the
/// client's operations drained, the final read-back).
constexpr auto settle_timeout = std::chrono::seconds(30);

/// W of the store's default quorum: every acknowledged write must be on at
/// least this many live replicas when the run ends.
constexpr uint32_t write_quorum = 2;

struct options {
  double duration = 10;
  double kill_at = -1;    ///< seconds into the run; < 0: 30% of duration
  double restart_at = -1; ///< same; < 0: 60% of duration
  bool kill = true;
  bool restart = true;
  load_options load;
  troupe::demo::demo_cluster_options cluster
    = troupe::demo::demo_cluster_options::of("kv", 4);
};

constexpr const char* description =
  "A replicated key-value store (N=3, W=2, R=2) on the worker nodes; a "
  "client writes and reads while the demo SIGKILLs the last worker node "
  "and restarts it, then checks that no acknowledged write was lost (exit "
  "code 1 if one was). With --seed nothing is killed: kill a node yourself "
  "to watch the store keep serving.";


/// Operations per second over the last second (the live line's rate).
class rate_window {
public:
  double update(uint64_t ops) {
    auto now = clock_type::now();
    samples_.emplace_back(now, ops);
    while (samples_.size() > 2 && now - samples_[1].first >= 1s)
      samples_.pop_front();
    auto dt = std::chrono::duration<double>(now - samples_.front().first);
    return dt.count() > 0 ? (ops - samples_.front().second) / dt.count() : 0;
  }

private:
  std::deque<std::pair<clock_type::time_point, uint64_t>> samples_;
};

std::string count(uint64_t x) {
  return std::to_string(x);
}

/// `x` with one decimal.
std::string tenths(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", x);
  return buf;
}

/// The command line: nothing if the demo may run, else its exit code.
std::optional<int> parse(int argc, char** argv, options& opt) {
  CLI::App args{description, argv[0]};
  troupe::tools::show_defaults(args);
  args.add_option("--duration", opt.duration,
                  "how long the client runs, in seconds")
    ->check(troupe::tools::in_range(0.5, 86400.0));
  args.add_option("--keys", opt.load.keys, "distinct keys")
    ->check(troupe::tools::in_range(1, 10'000'000));
  args.add_option("--clients", opt.load.sessions,
                  "client sessions, one operation in flight each")
    ->check(troupe::tools::in_range(1, 10'000));
  args.add_option("--writes", opt.load.write_percent, "percentage of writes")
    ->type_name("PERCENT")
    ->check(troupe::tools::in_range(1, 100));
  args.add_option("--kill-at", opt.kill_at,
                  "when to SIGKILL the node, in seconds into the run")
    ->default_str("30% of the run")
    ->check(troupe::tools::in_range(0.0, 86400.0));
  args.add_option("--restart-at", opt.restart_at, "when to restart it")
    ->default_str("60% of the run")
    ->check(troupe::tools::in_range(0.0, 86400.0));
  args.add_flag_callback("--no-kill", [&opt] { opt.kill = false; },
                         "kill nothing");
  args.add_flag_callback("--no-restart", [&opt] { opt.restart = false; },
                         "leave the killed node down");
  troupe::demo::add_cluster_options(args, opt.cluster,
                            "at least 3: every key has 3 replicas");
  if (auto code = troupe::tools::parse(args, argc, argv))
    return code;
  if (opt.kill_at < 0)
    opt.kill_at = 0.3 * opt.duration;
  if (opt.restart_at < 0)
    opt.restart_at = 0.6 * opt.duration;
  if (opt.kill && (opt.kill_at >= opt.duration
                   || (opt.restart && opt.restart_at <= opt.kill_at)))
    return troupe::tools::usage_error(args, "need --kill-at < --restart-at and "
                                    "--kill-at < --duration");
  if (opt.cluster.seed.empty() && opt.cluster.nodes < 3)
    return troupe::tools::usage_error(args, "the store keeps 3 copies of each key: "
                                    "--nodes must be at least 3");
  opt.load.sessions = std::min(opt.load.sessions, opt.load.keys);
  opt.load.seed = static_cast<uint64_t>(clock_type::now().time_since_epoch().count());
  if (!opt.cluster.seed.empty())
    opt.kill = false;
  return std::nullopt;
}

/// Everything a run holds: the cluster, the store on it, the client's load
/// and the outage it goes through.
struct kv_run {
  options opt;
  std::unique_ptr<demo_cluster> dc;
  size_t initial = 0; ///< worker nodes at the start
  progress_line line;
  std::unique_ptr<deployment> store_on;
  std::shared_ptr<load_stats> stats = std::make_shared<load_stats>();
  caf::actor load;
  outage out;
  clock_type::time_point start;
  double seconds = 0; ///< how long the client ran
  bool drained = false;
  bool settled = false;

  double elapsed() const {
    return std::chrono::duration<double>(clock_type::now() - start).count();
  }

  ~kv_run() {
    if (load)
      caf::anon_send_exit(load, caf::exit_reason::user_shutdown);
  }
};

/// The cluster and a serving replica on each of its worker nodes; false
/// (the error printed) otherwise.
bool deploy(kv_run& r) {
  r.dc = demo_cluster::start(r.opt.cluster);
  if (!r.dc)
    return false;
  r.initial = r.dc->workers().size();
  if (r.initial < 3) {
    std::cerr << "error: the cluster has " << r.initial << " worker nodes; the "
              << "store needs at least 3\n";
    return false;
  }
  r.store_on = std::make_unique<deployment>(
    *r.dc, [&line = r.line](const std::string& x) { line.note(x); });
  std::printf("starting a replica on each of the %zu worker nodes (N=3, W=2, "
              "R=2)\n", r.initial);
  std::fflush(stdout);
  auto& store_on = *r.store_on;
  if (!store_on.pump_until(
        [&] { return store_on.status().serving >= r.initial; },
        settle_timeout)) {
    std::cerr << "error: the replicas did not all serve within 30 s\n";
    return false;
  }
  return true;
}

/// The client's load for --duration, the kill and the restart on the way,
/// and longer if the restarted node does not serve yet (its handoff should
/// happen under load); then the load drains.
void drive(kv_run& r) {
  auto& opt = r.opt;
  auto& store_on = *r.store_on;
  auto& line = r.line;
  auto& out = r.out;
  auto& stats = r.stats;
  std::printf("running for %.1f s: %u client sessions over %u keys, %u%% "
              "writes%s\n",
              opt.duration, opt.load.sessions, opt.load.keys,
              opt.load.write_percent,
              opt.kill ? "; a worker node is SIGKILLed on the way" : "");
  std::fflush(stdout);
  r.start = clock_type::now();
  auto elapsed = [&r] { return r.elapsed(); };
  r.load = spawn_load(r.dc->sys().actors(), store_on.coordinator(), opt.load,
                      stats);
  rate_window rate;
  bool extended = false;
  auto limit = opt.duration
               + std::chrono::duration<double>(settle_timeout).count();
  for (;;) {
    auto now = elapsed();
    if (opt.kill && out.killed_at < 0 && now >= opt.kill_at)
      out.kill(*r.dc->local(), line, stats->ops(), now);
    if (opt.kill && opt.restart && out.killed_at >= 0 && !out.restart_tried
        && now >= opt.restart_at)
      out.restart(*r.dc->local(), line, *stats, elapsed);
    auto s = store_on.status();
    out.follow(s, r.initial, elapsed());
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "[%5.1fs] ops %llu (%.0f/s) | errors %llu | stale reads "
                  "%llu | nodes up %zu/%zu | replicas serving %u, joining "
                  "%u, down %u",
                  now, static_cast<unsigned long long>(stats->ops()),
                  rate.update(stats->ops()),
                  static_cast<unsigned long long>(stats->errors()),
                  static_cast<unsigned long long>(stats->stale_reads.load()),
                  store_on.nodes_up(), store_on.nodes_known(), s.serving,
                  s.joining, s.down);
    line.update(buf);
    if (now >= opt.duration) {
      if (!out.rejoining() || now >= limit)
        break;
      if (!extended) {
        extended = true;
        line.note("  the client goes on until " + out.victim
                  + " serves again");
      }
    }
    store_on.pump(100ms);
  }
  r.seconds = elapsed();
  auto& st = *stats;
  if (out.killed_at >= 0 && out.restarted_at < 0)
    out.ops_while_down = st.ops() - out.ops_at_kill;
  r.drained = static_cast<bool>(troupe::rpc::call<void>(
    r.dc->sys(), r.load, settle_timeout, drain_atom::value));
  line.finish("client stopped: " + count(st.ops()) + " operations in "
              + tenths(r.seconds) + " s"
              + (r.drained ? "" : " (some never answered)"));
}

/// What the check found, for the summary.
struct verdict {
  final_check fc;
  bool kill_ok = true;
  bool restart_ok = true;
  std::string outage_text = "no node killed";
  bool ok = false;
};

/// No handoff still running, then every acknowledged key read back and its
/// copies counted.
verdict check(kv_run& r) {
  auto& store_on = *r.store_on;
  auto& out = r.out;
  auto& st = *r.stats;
  verdict v;
  // No handoff still running: a node that came back serves again.
  r.settled = store_on.pump_until(
    [&] {
      auto s = store_on.status();
      out.follow(s, r.initial, r.elapsed());
      return s.joining == 0
             && (out.restarted_at < 0 || s.serving >= r.initial);
    },
    settle_timeout);
  store_on.pump(0ms);
  // Read every acknowledged key back, then count its copies.
  v.fc = check_store(r.dc->sys().actors(), r.load, store_on.live_replicas(),
                     write_quorum, settle_timeout * 4);
  for (auto& x : v.fc.examples)
    std::printf("  %s\n", x.c_str());
  v.kill_ok = out.killed_at < 0 || out.ops_while_down > 0;
  if (out.killed_at >= 0) {
    v.outage_text = out.victim + " SIGKILLed at " + tenths(out.killed_at)
                    + " s";
    if (out.serving_at >= 0)
      v.outage_text += ", restarted at " + tenths(out.restarted_at)
                       + " s, serving again at " + tenths(out.serving_at)
                       + " s after a handoff of "
                       + count(store_on.status().handoff_entries) + " entries";
    else if (r.opt.restart) {
      v.outage_text += ", never served again after its restart";
      v.restart_ok = false;
    } else
      v.outage_text += " (not restarted)";
    v.outage_text += "; " + count(out.ops_while_down)
                     + " operations served while it was down";
  }
  auto& fc = v.fc;
  v.ok = r.drained && r.settled && st.writes_acked > 0 && fc.lost == 0
         && st.stale_reads.load() == 0 && fc.verify_ok && fc.unverified == 0
         && fc.audit_ok && fc.min_copies >= write_quorum && v.kill_ok
         && v.restart_ok;
  return v;
}

void report(const kv_run& r, const verdict& v) {
  auto& st = *r.stats;
  auto& fc = v.fc;
  auto ops = st.ops();
  auto stale = st.stale_reads.load();
  std::printf(
    "summary: %llu operations in %.1f s (%.0f ops/s): %llu writes "
    "acknowledged, %llu reads checked; errors %llu (timeout %llu, node_down "
    "%llu, no_quorum %llu, other %llu); %s; %llu stale reads; read back "
    "%llu/%llu acknowledged keys with their latest value (%llu unreadable), "
    "each on >= %llu live replicas: %s\n",
    static_cast<unsigned long long>(ops), r.seconds, ops / r.seconds,
    static_cast<unsigned long long>(st.writes_acked.load()),
    static_cast<unsigned long long>(st.reads_ok + stale),
    static_cast<unsigned long long>(st.errors()),
    static_cast<unsigned long long>(st.err_timeout.load()),
    static_cast<unsigned long long>(st.err_node_down.load()),
    static_cast<unsigned long long>(st.err_no_quorum.load()),
    static_cast<unsigned long long>(st.err_other.load()),
    v.outage_text.c_str(), static_cast<unsigned long long>(stale),
    static_cast<unsigned long long>(fc.checked - fc.lost),
    static_cast<unsigned long long>(fc.checked),
    static_cast<unsigned long long>(fc.unverified),
    static_cast<unsigned long long>(fc.min_copies),
    v.ok ? "OK, 0 acknowledged writes lost"
         : (fc.lost + stale > 0 ? "FAILED, acknowledged writes were lost"
                                : "FAILED (see above)"));
  std::fflush(stdout);
  if (!r.settled)
    std::printf("  the replicas did not settle within 30 s (a handoff never "
                "finished)\n");
  if (!v.kill_ok)
    std::printf("  nothing was served while %s was down\n",
                r.out.victim.c_str());
}

int run(int argc, char** argv) {
  // Destroyed last: bounds the stop of everything below.
  troupe::demo::stop_watchdog watchdog;
  auto r = std::make_unique<kv_run>();
  if (auto code = parse(argc, argv, r->opt))
    return *code;
  if (!deploy(*r))
    return 1;
  drive(*r);
  auto v = check(*r);
  report(*r, v);
  watchdog.arm(std::chrono::seconds(60), "the kv store's actors and the cluster to stop");
  return v.ok ? 0 : 1;
}

void setup(troupe::config& cfg) {
  store::add_types(cfg);
  store::export_shard(cfg, "kv-replica");
}

troupe::demo::register_demo reg{
  "kv", "replicated key-value store survives a SIGKILLed node (cluster)", run};
troupe::demo::register_node_setup setup_reg{setup};

} // namespace
