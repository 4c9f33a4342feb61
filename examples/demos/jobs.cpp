// `troupe demo jobs`: the fault-tolerant work queue on an embedded cluster.
// This process holds the durable queue (an append-only log) and a result
// sink; a supervisor here keeps worker actors running on the worker nodes
// as remote children. A chaos monkey SIGKILLs the busiest worker node and
// starts it again. Workers on a killed node die with it: the queue
// redelivers their leased jobs, the supervisor restarts the workers on live
// nodes, and the sink drops the duplicate results that redelivery can
// cause. The summary checks that every job completed exactly once in the
// sink, and says how many workers run on each node at the end (after
// deploying too), as the cluster registry locates the named workers.
//
// run() reads as the recipe: parse -> deploy -> drive -> check -> report.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <troupe/troupe.hpp>
#include <work_queue/work_queue.hpp>

#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"
#include "demos/demo_registry.hpp"
#include "jobs_actors.hpp"
#include "jobs_chaos.hpp"
#include "jobs_verdict.hpp"

namespace troupe::demo::jobs {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

struct options {
  demo_cluster_options cluster = demo_cluster_options::of("jobs", 3);
  uint64_t jobs = 100000;
  int workers = 12;
  int chaos_ms = 2000;   ///< a node is killed this often (0: never)
  int down_ms = 800;     ///< and started again after this long
  int timeout_s = 600;   ///< give up (and fail) after this long
  int require_kills = 0; ///< fail unless chaos killed this many nodes
  std::string queue_log; ///< the queue's log, kept; empty: a temporary one
};

constexpr const char* description =
  "The fault-tolerant work queue: jobs flow through a durable queue to "
  "workers on the worker nodes while a chaos monkey SIGKILLs nodes; the "
  "summary checks that every job completed exactly once (exit code 1 if "
  "not).";

/// The command line: nothing if the demo may run, else its exit code.
std::optional<int> parse(int argc, char** argv, options& opt) {
  CLI::App args{description, argv[0]};
  tools::show_defaults(args);
  args.add_option("--jobs", opt.jobs,
                  "jobs to enqueue and process (with --require-kills: per "
                  "batch, and batches follow until that many kills happened)")
    ->check(tools::in_range<uint64_t>(1, UINT64_MAX));
  args.add_option("--workers", opt.workers,
                  "worker actors spread over the worker nodes")
    ->check(tools::in_range(1, INT_MAX));
  args.add_option("--chaos-ms", opt.chaos_ms,
                  "SIGKILL a worker node every MS ms; 0 turns chaos off "
                  "(embedded cluster only)")
    ->type_name("MS")
    ->check(tools::in_range(0, INT_MAX));
  args.add_option("--down-ms", opt.down_ms,
                  "start a killed node again after MS ms")
    ->type_name("MS")
    ->check(tools::in_range(0, INT_MAX));
  args.add_option("--timeout", opt.timeout_s,
                  "fail if the jobs are not done within this many seconds")
    ->check(tools::in_range(1, INT_MAX));
  args.add_option("--require-kills", opt.require_kills,
                  "fail unless at least N nodes were killed while jobs "
                  "flowed (so a test cannot pass without chaos): the run "
                  "goes on with more jobs until then")
    ->check(tools::in_range(0, INT_MAX));
  args.add_option("--queue-log", opt.queue_log,
                  "keep the durable queue's log at PATH (default: a "
                  "temporary file, removed at the end). If PATH holds jobs "
                  "an earlier run left (it was killed), this run resumes "
                  "them instead of enqueuing --jobs new ones")
    ->type_name("PATH");
  demo::add_cluster_options(args, opt.cluster);
  return tools::parse(args, argc, argv);
}

template <class... Ts>
std::optional<std::tuple<Ts...>> ask_tuple(caf::actor_system& sys,
                                           const caf::actor& dest,
                                           caf::message msg) {
  caf::scoped_actor self{sys};
  std::optional<std::tuple<Ts...>> result;
  self->request(dest, std::chrono::seconds(10), std::move(msg))
    .receive([&](Ts... xs) { result = std::tuple<Ts...>{xs...}; },
             [](caf::error&) {});
  return result;
}

/// What runs here: the queue, the sink, the producer and the supervised
/// workers (on the worker nodes).
struct deployment {
  std::filesystem::path log_path;
  bool keep_log = false; ///< the user's --queue-log: left for a later run
  uint64_t jobs = 0;     ///< this run's jobs (a resumed run: those left)
  caf::actor queue;
  caf::actor results;
  caf::actor producer;
  std::optional<troupe::supervisor> tree;
  /// Counted by the supervisor's event hook, which the cluster's system
  /// may run until it stops: shared with the hook, not owned here.
  struct counters {
    std::atomic<int> worker_starts{0};
    std::atomic<int> workers_up{0};
  };
  std::shared_ptr<counters> count = std::make_shared<counters>();

  ~deployment() {
    if (producer)
      caf::anon_send_exit(producer, caf::exit_reason::user_shutdown);
    if (tree)
      tree->shutdown();
    if (queue)
      caf::anon_send_exit(queue, caf::exit_reason::user_shutdown);
    if (results)
      caf::anon_send_exit(results, caf::exit_reason::user_shutdown);
    if (!log_path.empty() && !keep_log)
      std::filesystem::remove(log_path);
  }
};

/// The verdict rests on the sink's deduplication, and a run may see no
/// duplicate at all (they need a worker killed between its result and its
/// ack): so a sink of two jobs gets one result twice first, and must count
/// one completion and one duplicate.
bool sink_drops_duplicates(troupe::system& sys) {
  auto probe = sys.spawn(sink, uint64_t{2});
  auto value = compute(payload_of(0));
  caf::anon_send(probe, result_atom::value, uint64_t{0}, value, uint32_t{0});
  caf::anon_send(probe, result_atom::value, uint64_t{0}, value, uint32_t{1});
  auto t = ask_tuple<uint64_t, uint64_t, uint64_t, uint64_t>(
    sys.actors(), probe, caf::make_message(tally_atom::value));
  auto r = ask_tuple<uint64_t, uint64_t>(sys.actors(), probe,
                                         caf::make_message(recount_atom::value));
  caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  return t && r && std::get<0>(*t) == 1 && std::get<1>(*t) == 1
         && std::get<0>(*r) == 1 && std::get<1>(*r) == 2;
}

/// The stable name of worker `i`. A named remote child registers its
/// remote actor under it in the cluster registry, at each (re)start, so
/// `whereis` tells where the worker runs now. Prefixed with this client's
/// node name, unique in the cluster, so that two runs against one --seed
/// cluster do not take each other's names.
std::string worker_name(const troupe::node& client, int i) {
  return client.name() + "/worker-" + std::to_string(i);
}

/// How many workers run on each worker node that is up, e.g.
/// "n1=4 n2=4 n3=4": each worker's registered actor is matched with the
/// members' agents by node id. A worker that died with its node matches no
/// member (a restarted node has a new node id), and a registration follows
/// a (re)start by a moment: so the registry is read again until every
/// worker is located on a live node, or `timeout`; the ones not located by
/// then are counted as such.
std::string workers_per_node(demo_cluster& dc, int workers,
                             std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    auto up = dc.workers();
    std::map<std::string, int> per_node; // sorted by name, as the members
    for (auto& m : up)
      per_node[m.name] = 0;
    int located = 0;
    for (int i = 0; i < workers; ++i) {
      auto hdl = dc.client().lookup(worker_name(dc.client(), i));
      if (!hdl || !*hdl)
        continue;
      auto m = std::find_if(up.begin(), up.end(), [&](const member_info& x) {
        return x.agent && x.agent.node() == hdl->node();
      });
      if (m != up.end()) {
        ++per_node[m->name];
        ++located;
      }
    }
    if (located == workers || clock::now() >= deadline) {
      std::string text;
      for (auto& [name, n] : per_node)
        text += (text.empty() ? "" : " ") + name + "=" + std::to_string(n);
      if (located < workers)
        text += (text.empty() ? "" : " ") + std::string{"("}
                + std::to_string(workers - located) + " not located within "
                + std::to_string(timeout.count() / 1000) + " s)";
      return text;
    }
    std::this_thread::sleep_for(50ms);
  }
}

/// Starts the queue, the sink, the workers and the producer; false (the
/// error printed) if the sink miscounts or the workers did not start.
bool deploy(demo_cluster& dc, const options& opt, deployment& d) {
  auto& sys = dc.sys();
  if (!sink_drops_duplicates(sys)) {
    std::cerr << "error: the result sink does not count a duplicate result "
                 "as a duplicate: the demo's check would be void\n";
    return false;
  }
  d.keep_log = !opt.queue_log.empty();
  if (d.keep_log) {
    d.log_path = opt.queue_log;
  } else {
    d.log_path = std::filesystem::temp_directory_path()
                 / ("troupe-demo-jobs-" + std::to_string(getpid()) + ".log");
    std::filesystem::remove(d.log_path);
  }
  // fsync every 256 records: an enqueue is acknowledged once written to the
  // OS; a crash of this machine (not of a process) may lose the last few.
  d.queue = wq::spawn_queue(sys.actors(), {.log_path = d.log_path.string(),
                                           .capacity = 20000,
                                           .lease = std::chrono::seconds(10),
                                           .max_failures = 1000,
                                           .fsync_every = 256});
  auto left = ask_tuple<std::vector<uint64_t>>(
    sys.actors(), d.queue, caf::make_message(wq::held_atom::value));
  if (!left) {
    std::cerr << "error: the queue on " << d.log_path
              << " did not start (is the log readable and writable?)\n";
    return false;
  }
  auto& ids = std::get<0>(*left);
  if (ids.empty()) {
    d.jobs = opt.jobs;
    d.results = sys.spawn(sink, opt.jobs);
  } else {
    if (opt.require_kills > 0) {
      std::cerr << "error: " << d.log_path << " holds " << ids.size()
                << " jobs of an earlier run; resuming them does not combine "
                   "with --require-kills (it adds batches of new jobs)\n";
      return false;
    }
    std::printf("resuming: %zu jobs an earlier run left in %s (--jobs is "
                "not used)\n",
                ids.size(), d.log_path.c_str());
    d.jobs = ids.size();
    d.results = sys.spawn(sink_for, ids);
  }
  std::vector<troupe::child_spec> workers;
  for (int i = 0; i < opt.workers; ++i)
    workers.push_back(troupe::child("worker-" + std::to_string(i), "jobs-worker",
                                    caf::make_message(d.queue, d.results))
                        .named(worker_name(dc.client(), i))
                        .on(troupe::placement::round_robin));
  auto on_event = [count = d.count](const troupe::supervisor_event& ev) {
    if (ev.kind == troupe::supervisor_event::child_started) {
      ++count->worker_starts;
      ++count->workers_up;
    } else if (ev.kind == troupe::supervisor_event::child_exited
               || ev.kind == troupe::supervisor_event::child_stopped) {
      --count->workers_up;
    }
  };
  auto tree = sys.start(troupe::supervisor_spec{
    .strategy = troupe::one_for_one,
    .intensity = 10000,
    .period = 10s,
    .children = std::move(workers),
    .on_event = on_event,
  }, "workers");
  if (!tree) {
    std::cerr << "error: the workers did not start: "
              << troupe::render(tree.error()) << "\n";
    return false;
  }
  d.tree = std::move(*tree);
  std::printf("%d workers supervised from here, running on the worker "
              "nodes; queue log %s\n",
              opt.workers, d.log_path.c_str());
  std::printf("workers per node: %s\n",
              workers_per_node(dc, opt.workers, 10s).c_str());
  // A resumed run enqueues nothing new: its jobs are in the log.
  d.producer = sys.spawn(producer, d.queue,
                         ids.empty() ? opt.jobs : uint64_t{0}, uint64_t{256});
  return true;
}

void ask_tallies(troupe::system& sys, const deployment& d, figures& f) {
  if (auto t = ask_tuple<uint64_t, uint64_t, uint64_t, uint64_t>(
        sys.actors(), d.results, caf::make_message(tally_atom::value)))
    std::tie(f.completed, f.duplicates, f.wrong, f.redelivered) = *t;
  if (auto t = ask_tuple<uint64_t, uint64_t>(
        sys.actors(), d.producer, caf::make_message(tally_atom::value)))
    std::tie(f.accepted, f.enqueue_failed) = *t;
}

/// Enqueues `n` jobs more: the sink first learns their ids, then the
/// producer sends them.
void add_batch(troupe::system& sys, const deployment& d, uint64_t n,
               figures& f) {
  caf::scoped_actor self{sys.actors()};
  self->request(d.results, std::chrono::seconds(10), more_atom::value, n)
    .receive([] {}, [](caf::error&) {});
  caf::anon_send(d.producer, more_atom::value, n);
  f.jobs += n;
  ++f.batches;
}

/// The progress loop: until every job has a result, or the timeout. With
/// --require-kills, another batch of jobs follows whenever half a batch is
/// left before enough nodes were killed, so that the kills happen while
/// jobs flow however fast the machine is.
figures drive(demo_cluster& dc, const options& opt, deployment& d) {
  auto& sys = dc.sys();
  chaos_monkey chaos{dc.local(), opt.chaos_ms, opt.down_ms};
  progress_line progress;
  figures f;
  f.jobs = d.jobs;
  auto start = clock::now();
  auto deadline = start + std::chrono::seconds(opt.timeout_s);
  uint64_t last_completed = 0;
  auto last = start;
  double rate = 0;
  while (clock::now() < deadline) {
    ask_tallies(sys, d, f);
    bool all_enqueued = f.accepted + f.enqueue_failed >= f.jobs;
    bool half_a_batch_left = f.completed + f.wrong + opt.jobs / 2 >= f.jobs;
    if (half_a_batch_left && chaos.on() && chaos.kills() < opt.require_kills) {
      progress.note("only " + std::to_string(chaos.kills()) + " of "
                    + std::to_string(opt.require_kills)
                    + " node kills so far: " + std::to_string(opt.jobs)
                    + " jobs more");
      add_batch(sys, d, opt.jobs, f);
      all_enqueued = false;
    }
    if (f.completed + f.wrong >= f.jobs
        || (all_enqueued && f.enqueue_failed > 0
            && f.completed + f.wrong >= f.accepted))
      break;
    auto up = dc.workers();
    if (f.completed < f.jobs)
      chaos.step(up, progress);
    auto now = clock::now();
    if (now - last >= 1s) {
      rate = (f.completed - last_completed)
             / std::chrono::duration<double>(now - last).count();
      last_completed = f.completed;
      last = now;
    }
    char line[256];
    std::snprintf(line, sizeof(line),
                  "[%5.1fs] jobs done %llu/%llu (%.0f/s) | enqueued %llu | "
                  "redelivered %llu, duplicates dropped %llu | nodes up "
                  "%zu/%d | kills %d | workers up %d, restarts %d",
                  std::chrono::duration<double>(now - start).count(),
                  static_cast<unsigned long long>(f.completed),
                  static_cast<unsigned long long>(f.jobs), rate,
                  static_cast<unsigned long long>(f.accepted),
                  static_cast<unsigned long long>(f.redelivered),
                  static_cast<unsigned long long>(f.duplicates), up.size(),
                  opt.cluster.nodes, chaos.kills(), d.count->workers_up.load(),
                  std::max(0, d.count->worker_starts.load() - opt.workers));
    progress.update(line);
    std::this_thread::sleep_for(100ms); // display refresh, not a sync point
  }
  f.elapsed_s = std::chrono::duration<double>(clock::now() - start).count();
  if (chaos.on())
    chaos.heal();
  progress.finish("");
  f.kills = chaos.kills();
  f.restarts = std::max(0, d.count->worker_starts.load() - opt.workers);
  f.per_node = workers_per_node(dc, opt.workers, 10s);
  if (auto t = ask_tuple<uint64_t, uint64_t>(
        sys.actors(), d.results, caf::make_message(recount_atom::value)))
    std::tie(f.distinct, f.received) = *t;
  size_t records = 0;
  if (auto t = ask_tuple<size_t, size_t, size_t, size_t>(
        sys.actors(), d.queue, caf::make_message(wq::stats_atom::value)))
    std::tie(f.ready, f.leased, f.dead, records) = *t;
  return f;
}

int run(int argc, char** argv) {
  options opt;
  if (auto code = parse(argc, argv, opt))
    return *code;
  // Destroyed last: bounds the stop of everything below.
  demo::stop_watchdog watchdog;
  auto dc = demo_cluster::start(opt.cluster);
  if (!dc)
    return 1;
  if (!dc->local() && opt.chaos_ms > 0) {
    std::printf("chaos is off: it kills node processes of the embedded "
                "cluster only\n");
    opt.chaos_ms = 0;
  }
  // Declared after the cluster: stopped before the cluster's system ends.
  deployment d;
  if (!deploy(*dc, opt, d))
    return 1;
  auto f = drive(*dc, opt, d);
  bool ok = check(f, opt.require_kills);
  report(f, opt.require_kills, opt.cluster.nodes, ok);
  watchdog.arm(std::chrono::seconds(60),
               "the producer, the workers' supervisor, the queue and the "
               "sink to stop, then the cluster");
  return ok ? 0 : 1;
}

void setup(troupe::config& cfg) {
  cfg.export_type("jobs-worker", worker);
}

demo::register_demo reg{"jobs",
                        "fault-tolerant work queue: 100k jobs while nodes are "
                        "SIGKILLed; 0 lost",
                        run};
demo::register_node_setup setup_reg{setup};

} // namespace
} // namespace troupe::demo::jobs
