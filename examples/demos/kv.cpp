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
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/kv_load.hpp"
#include "kv/kv_coordinator.hpp"
#include "kv/kv_shard.hpp"
#include "troupe/cli.hpp"
#include "troupe/demo_cluster.hpp"
#include "troupe/node_setup.hpp"

namespace {

using namespace std::chrono_literals;
using namespace troupe::demos::kv;
namespace store = troupe::kv;
using troupe::cli::demo_cluster;
using troupe::cli::progress_line;
using clock_type = std::chrono::steady_clock;

/// Bound of every wait for the cluster to settle (replicas serving, the
/// client's operations drained, the final read-back).
constexpr auto settle_timeout = std::chrono::seconds(30);

struct options {
  double duration = 10;
  double kill_at = -1;    ///< seconds into the run; < 0: 30% of duration
  double restart_at = -1; ///< same; < 0: 60% of duration
  bool kill = true;
  bool restart = true;
  load_options load;
  troupe::cli::demo_cluster_options cluster = defaults();

  static troupe::cli::demo_cluster_options defaults() {
    troupe::cli::demo_cluster_options x;
    x.demo = "kv";
    x.nodes = 4;
    return x;
  }
};

int usage(std::ostream& out, int code) {
  out << "usage: troupe demo kv [--duration S] [--keys N] [--clients N]\n"
         "         [--writes PERCENT] [--kill-at S] [--restart-at S]\n"
         "         [--no-kill] [--no-restart] [cluster flags]\n"
         "A replicated key-value store (N=3, W=2, R=2) on the worker nodes;\n"
         "a client writes and reads while the demo SIGKILLs the last worker\n"
         "node and restarts it, then checks that no acknowledged write was\n"
         "lost (exit code 1 if one was).\n"
         "  --duration S     how long the client runs (default 10)\n"
         "  --keys N         distinct keys (default 1000)\n"
         "  --clients N      client sessions, one operation in flight each\n"
         "                   (default 32)\n"
         "  --writes P       percentage of writes (default 50)\n"
         "  --kill-at S      when to SIGKILL the node (default 30% of the "
         "run)\n"
         "  --restart-at S   when to restart it (default 60% of the run)\n"
         "  --no-kill        kill nothing\n"
         "  --no-restart     leave the killed node down\n"
      << troupe::cli::cluster_flags_help
      << "With --seed nothing is killed: kill a node yourself to watch the\n"
         "store keep serving.\n";
  return code;
}

uint64_t integer(const std::string& flag, const char* text, uint64_t lo,
                 uint64_t hi) {
  char* end = nullptr;
  auto x = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || *text == '-' || x < lo || x > hi) {
    std::cerr << "error: " << flag << " needs an integer between " << lo
              << " and " << hi << ", got \"" << text << "\"\n";
    std::exit(usage(std::cerr, 2));
  }
  return x;
}

double decimal(const std::string& flag, const char* text, double lo,
               double hi) {
  char* end = nullptr;
  auto x = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(x >= lo && x <= hi)) {
    std::cerr << "error: " << flag << " needs a number between " << lo
              << " and " << hi << ", got \"" << text << "\"\n";
    std::exit(usage(std::cerr, 2));
  }
  return x;
}

/// What the membership watcher and the coordinator report, for the main
/// thread (which alone prints and talks to the cluster).
struct inbox {
  struct item {
    enum kind_t { up, down, note } kind = note;
    troupe::member_info member;
    std::string text;
  };

  std::mutex mtx;
  std::condition_variable cv;
  std::deque<item> items;

  void push(item x) {
    std::lock_guard<std::mutex> guard{mtx};
    items.push_back(std::move(x));
    cv.notify_all();
  }

  void push_note(std::string text) {
    item x;
    x.kind = item::note;
    x.text = std::move(text);
    push(std::move(x));
  }

  /// Everything queued, waiting at most `timeout` for the first item.
  std::deque<item> take(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, timeout, [this] { return !items.empty(); });
    return std::exchange(items, {});
  }
};

caf::behavior watcher(caf::event_based_actor*, std::shared_ptr<inbox> box) {
  return {
    [box](troupe::member_event& ev) {
      auto kind = ev.kind == troupe::member_event::member_up ? inbox::item::up
                                                             : inbox::item::down;
      auto text = "node " + ev.member.name + " "
                  + troupe::to_string(ev.kind);
      box->push({kind, std::move(ev.member), std::move(text)});
    },
  };
}

/// A worker node as the demo sees it: is it up, and its replica.
struct worker {
  bool up = false;
  /// The replica spawned for the node's current process; cleared when the
  /// node goes down (a restarted node gets a new, empty replica).
  caf::actor replica;
  /// When to try spawning the replica again (the client reaches a node
  /// that just came up only once its connection to it is resolved).
  clock_type::time_point next_try{};
  int failures = 0;
};

/// The demo's run: the cluster, the store's actors, and the phases.
struct run_state {
  options opt;
  std::unique_ptr<demo_cluster> dc;
  std::shared_ptr<inbox> box = std::make_shared<inbox>();
  caf::actor coord;
  caf::actor load;
  std::shared_ptr<load_stats> stats = std::make_shared<load_stats>();
  std::map<std::string, worker> workers;
  progress_line line;
  clock_type::time_point start;
  std::string victim;
  double killed_at = -1;
  double restarted_at = -1;
  uint64_t ops_at_kill = 0;
  uint64_t ops_while_down = 0;

  double elapsed() const {
    return std::chrono::duration<double>(clock_type::now() - start).count();
  }

  size_t nodes_up() const {
    return std::count_if(workers.begin(), workers.end(),
                         [](auto& kvp) { return kvp.second.up; });
  }

  store::coordinator_status status() {
    auto st = troupe::rpc::call<store::coordinator_status>(
      dc->sys(), coord, std::chrono::seconds(5), store::status_atom::value);
    return st ? *st : store::coordinator_status{};
  }

  /// Handles what arrived within `timeout` and gives every worker that is
  /// up a replica.
  void pump(std::chrono::milliseconds timeout) {
    for (auto& x : box->take(timeout)) {
      if (x.kind == inbox::item::note) {
        line.note("  " + x.text);
        continue;
      }
      if (!x.member.hosts_placed_actors())
        continue;
      auto& w = workers[x.member.name];
      w.up = x.kind == inbox::item::up;
      if (!w.up) {
        w.replica = nullptr;
        line.note("  " + x.text);
      }
    }
    for (auto& [name, w] : workers)
      if (w.up && !w.replica && clock_type::now() >= w.next_try)
        spawn_replica(name, w);
  }

  void spawn_replica(const std::string& name, worker& w) {
    auto r = dc->client().spawn_on(name, "kv-replica",
                                   caf::make_message(coord),
                                   std::chrono::seconds(5));
    if (!r) {
      // Retried: right after a node comes up the client may not be
      // connected to it yet.
      w.next_try = clock_type::now() + 200ms;
      if (++w.failures == 10)
        line.note("  still no replica on " + name + ": "
                  + troupe::render(r.error()));
      return;
    }
    w.failures = 0;
    w.replica = *r;
    caf::anon_send(coord, store::join_atom::value, name, *r);
  }

  /// Pumps until `pred` holds; false after `timeout`.
  template <class Pred>
  bool pump_until(Pred pred, clock_type::duration timeout) {
    auto deadline = clock_type::now() + timeout;
    while (!pred()) {
      if (clock_type::now() >= deadline)
        return false;
      pump(100ms);
    }
    return true;
  }

  void show_progress() {
    auto st = status();
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "[%5.1fs] ops %llu (%.0f/s) | errors %llu | stale reads "
                  "%llu | nodes up %zu/%zu | replicas serving %u, joining "
                  "%u, down %u",
                  elapsed(), static_cast<unsigned long long>(stats->ops()),
                  stats->ops() / std::max(elapsed(), 1e-3),
                  static_cast<unsigned long long>(stats->errors()),
                  static_cast<unsigned long long>(stats->stale_reads.load()),
                  nodes_up(), workers.size(), st.serving, st.joining, st.down);
    line.update(buf);
  }

  void kill_victim() {
    auto& nodes = dc->local()->nodes();
    // The last node: the first is every restarted node's seed.
    auto i = nodes.size() - 1;
    victim = nodes[i].name;
    line.note("  SIGKILL " + victim + " (pid " + std::to_string(nodes[i].pid)
              + "): the store must keep serving from the other replicas");
    ops_at_kill = stats->ops();
    dc->local()->signal(i, SIGKILL);
    killed_at = elapsed();
  }

  void restart_victim() {
    line.note("  restarting " + victim);
    ops_while_down = stats->ops() - ops_at_kill;
    auto i = dc->local()->nodes().size() - 1;
    if (auto err = dc->local()->restart(i)) {
      line.note("  " + victim + " did not restart: " + *err);
      return;
    }
    restarted_at = elapsed();
  }
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

int run(int argc, char** argv) {
  auto rs = std::make_unique<run_state>();
  auto& opt = rs->opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "error: " << arg << " needs a value\n";
        std::exit(usage(std::cerr, 2));
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h")
      return usage(std::cout, 0);
    if (troupe::cli::parse_cluster_flag(argc, argv, i, opt.cluster))
      continue;
    if (arg == "--duration")
      opt.duration = decimal(arg, value(), 0.5, 86400);
    else if (arg == "--keys")
      opt.load.keys = integer(arg, value(), 1, 10'000'000);
    else if (arg == "--clients")
      opt.load.sessions = integer(arg, value(), 1, 10'000);
    else if (arg == "--writes")
      opt.load.write_percent = integer(arg, value(), 0, 100);
    else if (arg == "--kill-at")
      opt.kill_at = decimal(arg, value(), 0, 86400);
    else if (arg == "--restart-at")
      opt.restart_at = decimal(arg, value(), 0, 86400);
    else if (arg == "--no-kill")
      opt.kill = false;
    else if (arg == "--no-restart")
      opt.restart = false;
    else {
      std::cerr << "error: unknown option " << arg << "\n";
      return usage(std::cerr, 2);
    }
  }
  if (opt.kill_at < 0)
    opt.kill_at = 0.3 * opt.duration;
  if (opt.restart_at < 0)
    opt.restart_at = 0.6 * opt.duration;
  if (opt.kill && (opt.kill_at >= opt.duration
                   || (opt.restart && opt.restart_at <= opt.kill_at))) {
    std::cerr << "error: need --kill-at < --restart-at and --kill-at < "
                 "--duration\n";
    return usage(std::cerr, 2);
  }
  if (opt.cluster.seed.empty() && opt.cluster.nodes < 3) {
    std::cerr << "error: the store keeps 3 copies of each key: --nodes must "
                 "be at least 3\n";
    return usage(std::cerr, 2);
  }
  opt.load.sessions = std::min(opt.load.sessions, opt.load.keys);
  opt.load.seed = static_cast<uint64_t>(clock_type::now().time_since_epoch().count());
  if (!opt.cluster.seed.empty())
    opt.kill = false;

  rs->dc = demo_cluster::start(opt.cluster);
  if (!rs->dc)
    return 1;
  auto& dc = *rs->dc;
  auto initial = dc.workers().size();
  if (initial < 3) {
    std::cerr << "error: the cluster has " << initial << " worker nodes; the "
              << "store needs at least 3\n";
    return 1;
  }
  store::coordinator_config ccfg;
  ccfg.on_event = [box = rs->box](const std::string& text) {
    box->push_note(text);
  };
  rs->coord = store::spawn_coordinator(dc.sys().actors(), ccfg);
  auto watch = dc.sys().spawn(watcher, rs->box);
  dc.client().subscribe(watch);
  std::printf("starting a replica on each of the %zu worker nodes (N=3, W=2, "
              "R=2)\n", initial);
  std::fflush(stdout);
  if (!rs->pump_until([&] { return rs->status().serving >= initial; },
                      settle_timeout)) {
    std::cerr << "error: the replicas did not all serve within 30 s\n";
    return 1;
  }
  std::printf("running for %.1f s: %u client sessions over %u keys, %u%% "
              "writes%s\n",
              opt.duration, opt.load.sessions, opt.load.keys,
              opt.load.write_percent,
              opt.kill ? "; a worker node is SIGKILLed on the way" : "");
  std::fflush(stdout);

  rs->start = clock_type::now();
  rs->load = spawn_load(dc.sys().actors(), rs->coord, opt.load, rs->stats);
  while (rs->elapsed() < opt.duration) {
    if (opt.kill && rs->killed_at < 0 && rs->elapsed() >= opt.kill_at)
      rs->kill_victim();
    if (opt.kill && opt.restart && rs->killed_at >= 0 && rs->restarted_at < 0
        && rs->elapsed() >= opt.restart_at)
      rs->restart_victim();
    rs->show_progress();
    rs->pump(100ms);
  }
  auto seconds = rs->elapsed();
  auto& st = *rs->stats;
  if (rs->killed_at >= 0 && rs->restarted_at < 0)
    rs->ops_while_down = st.ops() - rs->ops_at_kill;
  bool drained = static_cast<bool>(troupe::rpc::call<void>(
    dc.sys(), rs->load, settle_timeout, drain_atom::value));
  auto ops = st.ops();
  rs->line.finish("client stopped: " + count(ops) + " operations in "
                  + tenths(seconds) + " s"
                  + (drained ? "" : " (some never answered)"));

  // The restarted node serves again once its handoff is done.
  bool settled = rs->pump_until(
    [&] {
      auto s = rs->status();
      return s.joining == 0
             && (rs->restarted_at < 0 || s.serving >= initial);
    },
    settle_timeout);
  rs->pump(0ms);

  // Read every acknowledged key back, then count its copies.
  caf::scoped_actor self{dc.sys().actors()};
  uint64_t checked = 0, lost = 0, unverified = 0;
  std::vector<std::string> examples;
  self->request(rs->load, settle_timeout * 4, verify_atom::value)
    .receive(
      [&](uint64_t c, uint64_t l, uint64_t u, std::vector<std::string>& xs) {
        checked = c;
        lost = l;
        unverified = u;
        examples = std::move(xs);
      },
      [&](caf::error& err) {
        unverified = ~uint64_t{0};
        examples.push_back("read-back failed: " + troupe::render(err));
      });
  std::vector<caf::actor> live;
  for (auto& [name, w] : rs->workers)
    if (w.up && w.replica)
      live.push_back(w.replica);
  uint64_t audited = 0, min_copies = 0;
  bool audit_ok = false;
  self->request(rs->load, settle_timeout * 4, audit_atom::value, live,
                uint32_t{2})
    .receive(
      [&](uint64_t keys, uint64_t copies, std::vector<std::string>& xs) {
        audited = keys;
        min_copies = copies;
        audit_ok = true;
        examples.insert(examples.end(), xs.begin(), xs.end());
      },
      [&](caf::error& err) {
        examples.push_back("replica audit failed: " + troupe::render(err));
      });
  for (auto& x : examples)
    std::printf("  %s\n", x.c_str());

  auto stale = st.stale_reads.load();
  bool kill_ok = rs->killed_at < 0 || rs->ops_while_down > 0;
  bool ok = drained && settled && st.writes_acked > 0 && lost == 0
            && stale == 0 && unverified == 0 && audit_ok && min_copies >= 2
            && kill_ok;
  std::string outage = "no node killed";
  if (rs->killed_at >= 0) {
    outage = rs->victim + " SIGKILLed at " + tenths(rs->killed_at) + " s";
    if (rs->restarted_at >= 0)
      outage += " and restarted at " + tenths(rs->restarted_at)
                + " s (handoff: " + count(rs->status().handoff_entries)
                + " entries)";
    else
      outage += " (not restarted)";
    outage += ", " + count(rs->ops_while_down)
              + " operations served while it was down";
  }
  std::printf(
    "summary: %llu operations in %.1f s (%.0f ops/s): %llu writes "
    "acknowledged, %llu reads checked; errors %llu (timeout %llu, node_down "
    "%llu, no_quorum %llu, other %llu); %s; %llu stale reads; read back "
    "%llu/%llu acknowledged keys with their latest value (%llu unreadable), "
    "each on >= %llu live replicas: %s\n",
    static_cast<unsigned long long>(ops), seconds, ops / seconds,
    static_cast<unsigned long long>(st.writes_acked.load()),
    static_cast<unsigned long long>(st.reads_ok + stale),
    static_cast<unsigned long long>(st.errors()),
    static_cast<unsigned long long>(st.err_timeout.load()),
    static_cast<unsigned long long>(st.err_node_down.load()),
    static_cast<unsigned long long>(st.err_no_quorum.load()),
    static_cast<unsigned long long>(st.err_other.load()), outage.c_str(),
    static_cast<unsigned long long>(stale),
    static_cast<unsigned long long>(checked - lost),
    static_cast<unsigned long long>(checked),
    static_cast<unsigned long long>(unverified),
    static_cast<unsigned long long>(min_copies),
    ok ? "OK, 0 acknowledged writes lost"
       : (lost + stale > 0 ? "FAILED, acknowledged writes were lost"
                           : "FAILED (see above)"));
  std::fflush(stdout);
  if (!settled)
    std::printf("  the replicas did not settle within 30 s (a handoff never "
                "finished)\n");
  if (!kill_ok)
    std::printf("  nothing was served while %s was down\n",
                rs->victim.c_str());
  self->send_exit(rs->load, caf::exit_reason::user_shutdown);
  self->send_exit(watch, caf::exit_reason::user_shutdown);
  self->send_exit(rs->coord, caf::exit_reason::user_shutdown);
  return ok ? 0 : 1;
}

void setup(troupe::config& cfg) {
  store::add_types(cfg);
  store::export_shard(cfg, "kv-replica");
}

troupe::cli::register_demo reg{
  "kv", "replicated key-value store survives a SIGKILLed node (cluster)", run};
troupe::cli::register_node_setup setup_reg{setup};

} // namespace
