// `troupe demo wordcount`: a distributed map-reduce over a generated text
// corpus. Mappers are placed on the worker nodes (node::spawn_on with a
// placement policy); the reducer runs in this process under a supervisor,
// and the demo crashes it a few times while the job runs. The job re-sends
// what a dead incarnation had taken (wordcount_job.hpp), and the summary
// checks that the cluster's count equals a single-process count of the same
// text, word for word.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/wordcount_actors.hpp"
#include "demos/wordcount_check.hpp"
#include "demos/wordcount_notes.hpp"
#include "demos/wordcount_corpus.hpp"
#include "demos/wordcount_job.hpp"
#include "demos/demo_registry.hpp"
#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"

namespace {

using namespace std::chrono_literals;
using namespace troupe::demos::wordcount;
using troupe::demo::demo_cluster;
using troupe::demo::progress_line;
using clock_type = std::chrono::steady_clock;

/// A job whose figures do not move for this long has stalled (a node died
/// or froze): the demo fails instead of waiting forever.
constexpr auto stall_timeout = std::chrono::seconds(30);
constexpr auto call_timeout = std::chrono::seconds(10);

struct options {
  double size_mb = 8;
  uint32_t chunk_kb = 64;
  uint32_t vocabulary = 20000;
  uint64_t corpus_seed = 42;
  uint32_t mappers = 0; ///< 0: two per worker node
  std::string placement = "round_robin";
  uint32_t crashes = 2;
  bool resend = true;
  troupe::demo::demo_cluster_options cluster
    = troupe::demo::demo_cluster_options::of("wordcount", 3);
};

constexpr const char* description =
  "Counts the words of a generated corpus with mappers on the worker "
  "nodes and a supervised reducer that is crashed N times on the way, "
  "then checks the result against a single-process count (exit code 1 on "
  "a MISMATCH).";

std::optional<troupe::placement> parse_placement(const std::string& name) {
  if (name == "round_robin")
    return troupe::placement::round_robin;
  if (name == "least_loaded")
    return troupe::placement::least_loaded;
  if (name == "random")
    return troupe::placement::random;
  return std::nullopt;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double megabytes(uint64_t bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

/// The command line: nothing if the demo may run, else its exit code.
std::optional<int> parse(int argc, char** argv, options& opt,
                         std::optional<troupe::placement>& where) {
  CLI::App args{description, argv[0]};
  troupe::tools::show_defaults(args);
  args.add_option("--size-mb", opt.size_mb, "corpus size (decimals allowed)")
    ->type_name("MB")
    ->check(troupe::tools::in_range(0.01, 1024.0));
  args.add_option("--chunk-kb", opt.chunk_kb, "chunk size, one map task each")
    ->type_name("KB")
    ->check(troupe::tools::in_range(1, 65536));
  args.add_option("--vocabulary", opt.vocabulary,
                  "distinct words, Zipf-distributed")
    ->check(troupe::tools::in_range(1, 10'000'000));
  args.add_option("--corpus-seed", opt.corpus_seed,
                  "the corpus is a function of this seed")
    ->check(troupe::tools::in_range<uint64_t>(0, UINT64_MAX));
  args.add_option("--mappers", opt.mappers, "mapper actors")
    ->default_str("2 per worker node")
    ->check(troupe::tools::in_range(1, 1024));
  args.add_option("--placement", opt.placement,
                  "how mappers are spread over the workers: round_robin, "
                  "least_loaded or random");
  args.add_option("--crashes", opt.crashes, "reducer crashes to inject")
    ->check(troupe::tools::in_range(0, 100));
  args.add_flag_callback("--no-resend", [&opt] { opt.resend = false; },
                         "do not re-send what a crashed reducer had taken: "
                         "shows that the check catches the lost counts (the "
                         "summary says MISMATCH, exit code 1)");
  troupe::demo::add_cluster_options(args, opt.cluster);
  if (auto code = troupe::tools::parse(args, argc, argv))
    return code;
  where = parse_placement(opt.placement);
  if (!where)
    return troupe::tools::usage_error(args, "--placement must be round_robin, "
                                    "least_loaded or random, got \""
                                      + opt.placement + "\"");
  return std::nullopt;
}

/// Everything a run holds, in the order it must be destroyed backwards:
/// what the supervisor's hook touches before the cluster (its actor system
/// runs the hook until it stops), the mappers after it (they stop first).
struct wc_run {
  options opt;
  std::optional<troupe::placement> where;
  std::shared_ptr<const std::vector<std::string>> chunks;
  uint64_t corpus_bytes = 0;
  std::shared_ptr<notes> pending_notes = std::make_shared<notes>();
  std::shared_ptr<std::atomic<uint64_t>> incarnations
    = std::make_shared<std::atomic<uint64_t>>(0);
  std::unique_ptr<demo_cluster> dc;
  std::vector<troupe::member_info> workers;
  caf::actor reducer;
  std::unique_ptr<troupe::demo::stop_on_exit> placed_mappers;
  uint32_t n_mappers = 0;
  std::map<std::string, int> per_node; ///< mappers placed per node
  std::shared_ptr<job_progress> progress = std::make_shared<job_progress>();
  std::optional<table> result;
  caf::error failure;
  double cluster_secs = 0;
  std::map<std::string, uint64_t> chunks_per_node;

  /// The worker that hosts `a`. A member's agent handle appears in the view
  /// once this node has its own connection to it, so an unknown node
  /// means: read the view again.
  std::string node_of(const caf::actor& a) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      for (auto& w : workers)
        if (w.agent && w.agent.node() == a.node())
          return w.name;
      workers = dc->workers();
    }
    return "an unknown node";
  }
};

/// The corpus, generated before the cluster starts so that its time is
/// not mistaken for the cluster's.
void generate(wc_run& r) {
  auto& opt = r.opt;
  auto t0 = clock_type::now();
  corpus_spec cspec;
  cspec.seed = opt.corpus_seed;
  cspec.bytes = static_cast<size_t>(opt.size_mb * (1 << 20));
  cspec.chunk_bytes = size_t{opt.chunk_kb} << 10;
  cspec.vocabulary = opt.vocabulary;
  auto generated = generate_corpus(cspec);
  r.corpus_bytes = generated.bytes;
  r.chunks = std::make_shared<const std::vector<std::string>>(
    std::move(generated.chunks));
  std::printf("corpus: %.1f MB in %zu chunks of ~%u KB, %u-word vocabulary "
              "with Zipf weights, seed %" PRIu64 " (generated in %.2f s)\n",
              megabytes(r.corpus_bytes), r.chunks->size(), opt.chunk_kb,
              opt.vocabulary, opt.corpus_seed, seconds_since(t0));
  std::fflush(stdout);
}

/// The cluster, the supervised reducer here and the mappers on the worker
/// nodes; false (the error printed) otherwise.
bool deploy(wc_run& r) {
  auto& opt = r.opt;
  r.dc = demo_cluster::start(opt.cluster);
  if (!r.dc)
    return false;
  r.workers = r.dc->workers();
  if (r.workers.empty()) {
    std::cerr << "error: no worker node is up\n";
    return false;
  }
  auto& sys = r.dc->sys();
  // The reducer, supervised: a crash is followed by a restart with an empty
  // table; its stable name stays valid (and buffers) across restarts.
  auto sup = sys.start(
    troupe::supervisor_spec{
      .strategy = troupe::one_for_one,
      .intensity = static_cast<int>(opt.crashes) + 3,
      .period = 10s,
      .children = {reducer_child("reducer", r.incarnations).named("wc-reducer")},
      .on_event =
        [pending_notes = r.pending_notes](const troupe::supervisor_event& ev) {
          if (ev.kind == troupe::supervisor_event::child_exited)
            pending_notes->add("  reducer died: " + reason_text(ev.reason));
          else if (ev.kind == troupe::supervisor_event::child_started)
            pending_notes->add("  reducer started by its supervisor");
          else if (ev.kind == troupe::supervisor_event::escalating)
            pending_notes->add("  " + troupe::to_string(ev));
        },
    },
    "wordcount");
  if (!sup) {
    std::cerr << "error: the reducer's supervisor did not start: "
              << troupe::render(sup.error()) << "\n";
    return false;
  }
  auto reducer = sys.whereis("wc-reducer");
  if (!reducer) {
    std::cerr << "error: " << troupe::render(reducer.error()) << "\n";
    return false;
  }
  r.reducer = *reducer;
  // The mappers, placed on the worker nodes by the chosen policy.
  r.n_mappers = opt.mappers ? opt.mappers
                            : static_cast<uint32_t>(2 * r.workers.size());
  r.placed_mappers.reset(new troupe::demo::stop_on_exit{
    sys, caf::make_message(stop_atom::value), "a mapper", {}});
  auto& mappers = r.placed_mappers->actors;
  for (uint32_t i = 0; i < r.n_mappers; ++i) {
    auto m = r.dc->client().spawn_on(*r.where, "wc-mapper",
                                     caf::make_message(r.reducer));
    if (!m) {
      std::cerr << "error: could not place mapper " << i + 1 << ": "
                << troupe::render(m.error()) << "\n";
      return false;
    }
    ++r.per_node[r.node_of(*m)];
    mappers.push_back(std::move(*m));
  }
  std::string placed;
  for (auto& [name, n] : r.per_node)
    placed += (placed.empty() ? "" : ", ") + name + ": " + std::to_string(n);
  std::printf("%u mappers placed %s on %zu worker nodes (%s); the reducer runs "
              "here under a supervisor; %u reducer crashes will be injected\n",
              r.n_mappers, opt.placement.c_str(), r.workers.size(),
              placed.c_str(), opt.crashes);
  if (!opt.resend)
    std::printf("re-sending is OFF (--no-resend): what a crashed reducer had "
                "taken will be missing, and the check below must say so\n");
  std::fflush(stdout);
  return true;
}

/// The job, with the live line while it runs, until its result, a failure
/// or a stall; then where the work went.
void drive(wc_run& r) {
  auto& opt = r.opt;
  auto& sys = r.dc->sys();
  auto& mappers = r.placed_mappers->actors;
  auto& pending_notes = r.pending_notes;
  auto& result = r.result;
  auto& failure = r.failure;
  auto& chunks = r.chunks;
  job_spec js;
  js.chunks = r.chunks;
  js.mappers = mappers;
  js.reducer = r.reducer;
  js.crashes = opt.crashes;
  js.resend = opt.resend;
  js.progress = r.progress;
  auto job = spawn_job(sys.actors(), std::move(js));
  {
    caf::scoped_actor self{sys.actors()};
    progress_line line;
    auto start = clock_type::now();
    self->send(job, run_atom::value, caf::actor_cast<caf::actor>(self));
    auto last_change = start;
    uint64_t last_figures = 0;
    auto nodes_read = clock_type::time_point{};
    size_t nodes_up = r.workers.size();
    while (!result && !failure) {
      self->receive([&](done_atom, table& t) { result = std::move(t); },
                    [&](done_atom, caf::error& err) { failure = err; },
                    caf::after(std::chrono::milliseconds(250)) >> [] {});
      for (auto& text : pending_notes->take())
        line.note(text);
      if (result || failure)
        break;
      auto now = clock_type::now();
      auto& p = *r.progress;
      uint64_t figures = p.maps + p.reduced + p.resent + p.retries;
      if (figures != last_figures) {
        last_figures = figures;
        last_change = now;
      } else if (now - last_change > stall_timeout) {
        failure = troupe::make_error(
          troupe::errc::timeout, "the job made no progress for "
                                   + std::to_string(stall_timeout.count())
                                   + " s (did a node die? see the node logs)");
        break;
      }
      if (now - nodes_read >= 1s) {
        nodes_up = r.dc->workers().size();
        nodes_read = now;
      }
      auto secs = seconds_since(start);
      char buf[256];
      std::snprintf(buf, sizeof(buf),
                    "[%5.1fs] reduced %u/%zu chunks | mapped %.1f MB "
                    "(%.1f MB/s), %u maps, re-sent %u, retried %u | reducer "
                    "incarnation %" PRIu64 ", crashes %u/%u | %zu worker "
                    "nodes up",
                    secs, p.reduced.load(), chunks->size(),
                    megabytes(p.bytes_mapped),
                    secs > 0 ? megabytes(p.bytes_mapped) / secs : 0.0,
                    p.maps.load(), p.resent.load(), p.retries.load(),
                    p.incarnation.load(), p.crashes.load(), opt.crashes,
                    nodes_up);
      line.update(buf);
    }
    r.cluster_secs = seconds_since(start);
    for (auto& text : pending_notes->take())
      line.note(text);
    // Where the work went: chunks mapped per node (remaps included).
    for (auto& m : mappers)
      self->request(m, call_timeout, stats_atom::value)
        .receive(
          [&](uint64_t n, uint64_t) { r.chunks_per_node[r.node_of(m)] += n; },
          [&](caf::error& err) {
            line.note("  a mapper on " + r.node_of(m) + " did not answer: "
                      + troupe::render(err));
          });
  }
  caf::anon_send_exit(job, caf::exit_reason::user_shutdown);
}

/// The check and the summary: a single-process count of the same chunks;
/// true if they are equal and the reducer restarted once per crash.
bool check_and_report(wc_run& r) {
  if (r.failure) {
    std::printf("summary: FAILED: %s\n", troupe::render(r.failure).c_str());
    return false;
  }
  auto r0 = clock_type::now();
  word_counts reference;
  for (auto& c : *r.chunks)
    count_words(c, reference);
  auto reference_secs = seconds_since(r0);
  auto cmp = compare(reference, *r.result);
  auto crashes = r.progress->crashes.load();
  auto restarts = r.incarnations->load() - 1;
  std::string spread;
  for (auto& [name, n] : r.chunks_per_node)
    spread += (spread.empty() ? "" : ", ") + name + " "
              + std::to_string(n);
  std::printf("chunks mapped per node: %s; %u partial counts re-sent, %" PRIu64
              " duplicates ignored by the reducer\n",
              spread.c_str(), r.progress->resent.load(), r.result->duplicates);
  for (auto& e : cmp.examples)
    std::printf("  differs: %s\n", e.c_str());
  bool ok = cmp.ok() && restarts == crashes;
  std::string verdict;
  if (!cmp.ok())
    verdict = "MISMATCH, " + std::to_string(cmp.differing) + " words differ";
  else if (restarts != crashes)
    verdict = "MISMATCH, counts equal but " + std::to_string(crashes)
              + " crashes and " + std::to_string(restarts) + " restarts";
  else
    verdict = "OK, every count is equal";
  std::printf(
    "summary: %" PRIu64 " words (%" PRIu64 " distinct) in %.1f MB, %zu chunks "
    "counted by %u mappers on %zu nodes in %.2f s; the reducer crashed %u "
    "times and its supervisor restarted it %" PRIu64 " times; top words: %s; "
    "single-process count (%.2f s): %" PRIu64 " words (%" PRIu64
    " distinct): %s\n",
    cmp.cluster_words, cmp.cluster_distinct, megabytes(r.corpus_bytes),
    r.chunks->size(), r.n_mappers, r.per_node.size(), r.cluster_secs, crashes,
    restarts, top_words(*r.result, 5).c_str(), reference_secs, cmp.words,
    cmp.distinct, verdict.c_str());
  return ok;
}

int run(int argc, char** argv) {
  // Destroyed last: bounds the stop of everything below.
  troupe::demo::stop_watchdog watchdog;
  auto r = std::make_unique<wc_run>();
  if (auto code = parse(argc, argv, r->opt, r->where))
    return *code;
  generate(*r);
  if (!deploy(*r))
    return 1;
  drive(*r);
  auto ok = check_and_report(*r);
  watchdog.arm(std::chrono::seconds(60), "the mappers, the supervised reducer and the cluster to stop");
  return ok ? 0 : 1;
}

troupe::demo::register_demo reg{
  "wordcount",
  "map-reduce word count over the cluster with a crashing, supervised reducer",
  run};

} // namespace
