// `troupe demo jobs`: the fault-tolerant work queue on an embedded cluster.
// This process holds the durable queue (an append-only log) and a result
// sink; a supervisor here keeps worker actors running on the worker nodes
// as remote children. A chaos monkey SIGKILLs random worker nodes and starts
// them again. Workers on a killed node die with it: the queue redelivers
// their leased jobs, the supervisor restarts the workers on live nodes, and
// the sink drops the duplicate results that redelivery can cause. The
// summary checks that every job completed exactly once in the sink.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include <troupe/troupe.hpp>
#include <work_queue/work_queue.hpp>

#include "jobs_actors.hpp"
#include "demos/demo_registry.hpp"
#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"

namespace troupe::demo::jobs {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

struct options {
  demo::demo_cluster_options cluster = demo::demo_cluster_options::of("jobs", 3);
  uint64_t jobs = 100000;
  int workers = 12;
  int chaos_ms = 2000;   ///< a node is killed this often (0: never)
  int down_ms = 800;     ///< and started again after this long
  int timeout_s = 600;   ///< give up (and fail) after this long
  int require_kills = 0; ///< fail unless chaos killed this many nodes
};

constexpr const char* description =
  "The fault-tolerant work queue: jobs flow through a durable queue to "
  "workers on the worker nodes while a chaos monkey SIGKILLs nodes; the "
  "summary checks that every job completed exactly once (exit code 1 if "
  "not).";

/// Enqueues jobs with a window of requests in flight (one at a time would
/// be bound by the round trip; unbounded would flood the queue's mailbox).
struct producer_state {
  uint64_t next = 0;
  uint64_t jobs = 0;
  uint64_t accepted = 0;
  uint64_t failed = 0;
};

caf::behavior producer(caf::stateful_actor<producer_state>* self,
                       caf::actor queue, uint64_t jobs, uint64_t window) {
  self->state.jobs = jobs;
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
  for (uint64_t i = 0; i < window; ++i)
    (*send_next)();
  return {
    [self](tally_atom) {
      return caf::make_message(self->state.accepted, self->state.failed);
    },
  };
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

int run(int argc, char** argv) {
  options opt;
  CLI::App args{description, argv[0]};
  tools::show_defaults(args);
  args.add_option("--jobs", opt.jobs, "jobs to enqueue and process")
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
                  "fail unless at least N nodes were killed (so a test "
                  "cannot pass without chaos)")
    ->check(tools::in_range(0, INT_MAX));
  demo::add_cluster_options(args, opt.cluster);
  if (auto code = tools::parse(args, argc, argv))
    return *code;

  // Counted by the supervisor's event hook: declared before the cluster,
  // whose system runs the hook until it stops.
  std::atomic<int> worker_starts{0};
  std::atomic<int> workers_up{0};
  auto on_event = [&](const troupe::supervisor_event& ev) {
    if (ev.kind == troupe::supervisor_event::child_started) {
      ++worker_starts;
      ++workers_up;
    } else if (ev.kind == troupe::supervisor_event::child_exited
               || ev.kind == troupe::supervisor_event::child_stopped) {
      --workers_up;
    }
  };

  auto dc = demo::demo_cluster::start(opt.cluster);
  if (!dc)
    return 1;
  auto& sys = dc->sys();
  auto* local = dc->local();
  if (!local && opt.chaos_ms > 0) {
    std::printf("chaos is off: it kills node processes of the embedded "
                "cluster only\n");
    opt.chaos_ms = 0;
  }

  auto log_path = std::filesystem::temp_directory_path()
                  / ("troupe-demo-jobs-" + std::to_string(getpid()) + ".log");
  std::filesystem::remove(log_path);
  // fsync every 256 records: an enqueue is acknowledged once written to the
  // OS; a crash of this machine (not of a process) may lose the last few.
  auto queue = wq::spawn_queue(sys.actors(),
                               {.log_path = log_path.string(),
                                .capacity = 20000,
                                .lease = std::chrono::seconds(10),
                                .max_failures = 1000,
                                .fsync_every = 256});
  auto results = sys.spawn(sink, opt.jobs);

  std::vector<troupe::child_spec> workers;
  for (int i = 0; i < opt.workers; ++i)
    workers.push_back(troupe::child("worker-" + std::to_string(i), "jobs-worker",
                                    caf::make_message(queue, results))
                        .on(troupe::placement::round_robin));
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
    return 1;
  }
  std::printf("%d workers supervised from here, running on the worker "
              "nodes; queue log %s\n",
              opt.workers, log_path.c_str());
  auto prod = sys.spawn(producer, queue, opt.jobs, uint64_t{256});

  demo::progress_line progress;
  auto start = clock::now();
  auto deadline = start + std::chrono::seconds(opt.timeout_s);
  auto next_kill = start + std::chrono::milliseconds(opt.chaos_ms);
  struct downed {
    size_t index;
    clock::time_point back_at;
  };
  std::vector<downed> down;
  std::mt19937 rng{std::random_device{}()};
  int kills = 0;
  uint64_t completed = 0, duplicates = 0, wrong = 0, redelivered = 0,
           accepted = 0, enqueue_failed = 0;
  uint64_t last_completed = 0;
  auto last = start;
  double rate = 0;
  while (clock::now() < deadline) {
    if (auto t = ask_tuple<uint64_t, uint64_t, uint64_t, uint64_t>(
          sys.actors(), results, caf::make_message(tally_atom::value)))
      std::tie(completed, duplicates, wrong, redelivered) = *t;
    if (auto t = ask_tuple<uint64_t, uint64_t>(
          sys.actors(), prod, caf::make_message(tally_atom::value)))
      std::tie(accepted, enqueue_failed) = *t;
    bool all_enqueued = accepted + enqueue_failed >= opt.jobs;
    if (completed + wrong >= opt.jobs
        || (all_enqueued && enqueue_failed > 0 && completed + wrong >= accepted))
      break;
    auto now = clock::now();
    auto up = dc->workers();
    // Chaos: kill the live node that hosts the most actors (the workers'
    // node, as its heartbeats report), never the last one; start it later.
    if (opt.chaos_ms > 0 && now >= next_kill && completed < opt.jobs) {
      std::vector<std::pair<uint64_t, size_t>> alive; // actors, node index
      for (size_t i = 0; i < local->nodes().size(); ++i) {
        if (local->nodes()[i].pid <= 0)
          continue;
        uint64_t actors = 0;
        for (auto& m : up)
          if (m.name == local->nodes()[i].name)
            actors = m.actors;
        alive.emplace_back(actors, i);
      }
      if (alive.size() > 1) {
        // Ties (e.g. all equal) are broken at random.
        std::shuffle(alive.begin(), alive.end(), rng);
        auto victim = std::max_element(alive.begin(), alive.end(),
                                       [](auto& a, auto& b) {
                                         return a.first < b.first;
                                       })
                        ->second;
        progress.note("chaos: SIGKILL " + local->nodes()[victim].name
                      + " (pid " + std::to_string(local->nodes()[victim].pid)
                      + ")");
        local->signal(victim, SIGKILL);
        ++kills;
        down.push_back({victim, now + std::chrono::milliseconds(opt.down_ms)});
      }
      next_kill = now + std::chrono::milliseconds(opt.chaos_ms);
    }
    for (auto i = down.begin(); i != down.end();) {
      if (now < i->back_at) {
        ++i;
        continue;
      }
      if (auto err = local->restart(i->index))
        progress.note("chaos: restarting " + local->nodes()[i->index].name
                      + " failed: " + *err);
      else
        progress.note("chaos: " + local->nodes()[i->index].name
                      + " is back on " + local->nodes()[i->index].address());
      i = down.erase(i);
    }
    if (now - last >= 1s) {
      rate = (completed - last_completed)
             / std::chrono::duration<double>(now - last).count();
      last_completed = completed;
      last = now;
    }
    char line[256];
    std::snprintf(line, sizeof(line),
                  "[%5.1fs] jobs done %llu/%llu (%.0f/s) | enqueued %llu | "
                  "redelivered %llu, duplicates dropped %llu | nodes up "
                  "%zu/%d | kills %d | workers up %d, restarts %d",
                  std::chrono::duration<double>(now - start).count(),
                  static_cast<unsigned long long>(completed),
                  static_cast<unsigned long long>(opt.jobs), rate,
                  static_cast<unsigned long long>(accepted),
                  static_cast<unsigned long long>(redelivered),
                  static_cast<unsigned long long>(duplicates), up.size(), opt.cluster.nodes, kills,
                  workers_up.load(),
                  std::max(0, worker_starts.load() - opt.workers));
    progress.update(line);
    std::this_thread::sleep_for(100ms); // display refresh, not a sync point
  }
  auto elapsed = std::chrono::duration<double>(clock::now() - start).count();
  // Nodes killed at the very end come back, so the cluster is whole again.
  for (auto& d : down)
    local->restart(d.index);
  size_t ready = 0, leased = 0, dead = 0, records = 0;
  if (auto t = ask_tuple<size_t, size_t, size_t, size_t>(
        sys.actors(), queue, caf::make_message(wq::stats_atom::value)))
    std::tie(ready, leased, dead, records) = *t;
  auto lost = opt.jobs - completed;
  bool ok = lost == 0 && wrong == 0 && enqueue_failed == 0
            && kills >= opt.require_kills;
  if (kills < opt.require_kills)
    std::printf("only %d node kills happened, %d required: the run was too "
                "short to show recovery\n",
                kills, opt.require_kills);
  progress.finish("");
  std::printf("summary: %llu jobs in %.1f s (%.0f jobs/s) on %d worker nodes; "
              "%llu completed exactly once (%llu of them redelivered after "
              "their worker died), %llu lost, %llu duplicate results dropped "
              "by the sink, %llu wrong results; %d node kills, %d worker "
              "restarts; queue left: %zu ready, %zu leased, %zu dead letters: "
              "%s\n",
              static_cast<unsigned long long>(opt.jobs), elapsed,
              static_cast<double>(completed) / elapsed, opt.cluster.nodes,
              static_cast<unsigned long long>(completed),
              static_cast<unsigned long long>(redelivered),
              static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(duplicates),
              static_cast<unsigned long long>(wrong), kills,
              std::max(0, worker_starts.load() - opt.workers), ready, leased,
              dead,
              ok ? "OK, no job lost"
                 : "FAILED (see the node logs and the numbers above)");
  std::fflush(stdout);
  caf::anon_send_exit(prod, caf::exit_reason::user_shutdown);
  tree->shutdown();
  caf::anon_send_exit(queue, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(results, caf::exit_reason::user_shutdown);
  std::filesystem::remove(log_path);
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
