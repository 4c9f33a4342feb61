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

/// The text of an exit reason made from an exception (see the reducer's
/// exception handler), or the rendered error.
std::string reason_text(const caf::error& reason) {
  auto& ctx = reason.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return troupe::render(reason);
}

/// Lines the supervisor's event hook wants printed. The hook runs in the
/// supervisor's thread; the main thread prints them between progress
/// updates so that they never tear the live line.
struct notes {
  std::mutex mtx;
  std::vector<std::string> lines;

  void add(std::string line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.push_back(std::move(line));
  }

  std::vector<std::string> take() {
    std::lock_guard<std::mutex> guard{mtx};
    return std::exchange(lines, {});
  }
};

struct comparison {
  uint64_t words = 0;    ///< in the reference count
  uint64_t distinct = 0; ///< same
  uint64_t cluster_words = 0;
  uint64_t cluster_distinct = 0;
  uint64_t differing = 0; ///< words whose counts differ or that one lacks
  std::vector<std::string> examples;

  bool ok() const {
    return differing == 0 && words == cluster_words
           && distinct == cluster_distinct;
  }
};

comparison compare(const word_counts& reference, const table& t) {
  comparison cmp;
  cmp.distinct = reference.size();
  for (auto& kvp : reference)
    cmp.words += kvp.second;
  cmp.cluster_distinct = t.words.size();
  auto note = [&](std::string text) {
    ++cmp.differing;
    if (cmp.examples.size() < 3)
      cmp.examples.push_back(std::move(text));
  };
  size_t found = 0;
  for (size_t i = 0; i < t.words.size() && i < t.counts.size(); ++i) {
    cmp.cluster_words += t.counts[i];
    auto j = reference.find(t.words[i]);
    if (j == reference.end()) {
      note("\"" + t.words[i] + "\" is not in the text");
      continue;
    }
    ++found;
    if (j->second != t.counts[i])
      note("\"" + t.words[i] + "\" " + std::to_string(t.counts[i])
           + " instead of " + std::to_string(j->second));
  }
  if (found < reference.size())
    cmp.differing += reference.size() - found; // words the cluster lacks
  return cmp;
}

std::string top_words(const table& t, size_t n) {
  std::vector<size_t> idx(std::min(t.words.size(), t.counts.size()));
  for (size_t i = 0; i < idx.size(); ++i)
    idx[i] = i;
  n = std::min(n, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(n),
                    idx.end(), [&](size_t a, size_t b) {
                      return t.counts[a] != t.counts[b]
                               ? t.counts[a] > t.counts[b]
                               : t.words[a] < t.words[b];
                    });
  std::string result;
  for (size_t i = 0; i < n; ++i)
    result += (i ? ", " : "") + t.words[idx[i]] + " "
              + std::to_string(t.counts[idx[i]]);
  return result;
}

int run(int argc, char** argv) {
  options opt;
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
    return *code;
  auto where = parse_placement(opt.placement);
  if (!where)
    return troupe::tools::usage_error(args, "--placement must be round_robin, "
                                    "least_loaded or random, got \""
                                      + opt.placement + "\"");

  // The corpus, generated before the cluster starts so that its time is
  // not mistaken for the cluster's.
  auto t0 = clock_type::now();
  corpus_spec cspec;
  cspec.seed = opt.corpus_seed;
  cspec.bytes = static_cast<size_t>(opt.size_mb * (1 << 20));
  cspec.chunk_bytes = size_t{opt.chunk_kb} << 10;
  cspec.vocabulary = opt.vocabulary;
  auto generated = generate_corpus(cspec);
  auto chunks = std::make_shared<const std::vector<std::string>>(
    std::move(generated.chunks));
  std::printf("corpus: %.1f MB in %zu chunks of ~%u KB, %u-word vocabulary "
              "with Zipf weights, seed %" PRIu64 " (generated in %.2f s)\n",
              megabytes(generated.bytes), chunks->size(), opt.chunk_kb,
              opt.vocabulary, opt.corpus_seed, seconds_since(t0));
  std::fflush(stdout);

  // What the supervisor's hook touches is declared before the cluster (and
  // its actor system): supervisors report until the system has stopped them.
  auto pending_notes = std::make_shared<notes>();
  auto incarnations = std::make_shared<std::atomic<uint64_t>>(0);

  auto dc = demo_cluster::start(opt.cluster);
  if (!dc)
    return 1;
  auto workers = dc->workers();
  if (workers.empty()) {
    std::cerr << "error: no worker node is up\n";
    return 1;
  }
  auto& sys = dc->sys();

  // The reducer, supervised: a crash is followed by a restart with an empty
  // table; its stable name stays valid (and buffers) across restarts.
  auto sup = sys.start(
    troupe::supervisor_spec{
      .strategy = troupe::one_for_one,
      .intensity = static_cast<int>(opt.crashes) + 3,
      .period = 10s,
      .children = {reducer_child("reducer", incarnations).named("wc-reducer")},
      .on_event =
        [pending_notes](const troupe::supervisor_event& ev) {
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
    return 1;
  }
  auto reducer = sys.whereis("wc-reducer");
  if (!reducer) {
    std::cerr << "error: " << troupe::render(reducer.error()) << "\n";
    return 1;
  }

  // The mappers, placed on the worker nodes by the chosen policy.
  auto n_mappers = opt.mappers ? opt.mappers
                               : static_cast<uint32_t>(2 * workers.size());
  troupe::demo::stop_on_exit placed_mappers{
    sys, caf::make_message(stop_atom::value), "a mapper", {}};
  auto& mappers = placed_mappers.actors;
  std::map<std::string, int> per_node;
  // A member's agent handle appears in the view once this node has its own
  // connection to it, so an unknown node means: read the view again.
  auto node_of = [&](const caf::actor& a) -> std::string {
    for (int attempt = 0; attempt < 2; ++attempt) {
      for (auto& w : workers)
        if (w.agent && w.agent.node() == a.node())
          return w.name;
      workers = dc->workers();
    }
    return "an unknown node";
  };
  for (uint32_t i = 0; i < n_mappers; ++i) {
    auto m = dc->client().spawn_on(*where, "wc-mapper",
                                   caf::make_message(*reducer));
    if (!m) {
      std::cerr << "error: could not place mapper " << i + 1 << ": "
                << troupe::render(m.error()) << "\n";
      return 1;
    }
    ++per_node[node_of(*m)];
    mappers.push_back(std::move(*m));
  }
  std::string placed;
  for (auto& [name, n] : per_node)
    placed += (placed.empty() ? "" : ", ") + name + ": "
              + std::to_string(n);
  std::printf("%u mappers placed %s on %zu worker nodes (%s); the reducer runs "
              "here under a supervisor; %u reducer crashes will be injected\n",
              n_mappers, opt.placement.c_str(), workers.size(), placed.c_str(),
              opt.crashes);
  if (!opt.resend)
    std::printf("re-sending is OFF (--no-resend): what a crashed reducer had "
                "taken will be missing, and the check below must say so\n");
  std::fflush(stdout);

  // The job, and the live line while it runs.
  auto progress = std::make_shared<job_progress>();
  job_spec js;
  js.chunks = chunks;
  js.mappers = mappers;
  js.reducer = *reducer;
  js.crashes = opt.crashes;
  js.resend = opt.resend;
  js.progress = progress;
  auto job = spawn_job(sys.actors(), std::move(js));
  std::optional<table> result;
  caf::error failure;
  double cluster_secs = 0;
  std::map<std::string, uint64_t> chunks_per_node;
  {
    caf::scoped_actor self{sys.actors()};
    progress_line line;
    auto start = clock_type::now();
    self->send(job, run_atom::value, caf::actor_cast<caf::actor>(self));
    auto last_change = start;
    uint64_t last_figures = 0;
    auto nodes_read = clock_type::time_point{};
    size_t nodes_up = workers.size();
    while (!result && !failure) {
      self->receive([&](done_atom, table& t) { result = std::move(t); },
                    [&](done_atom, caf::error& err) { failure = err; },
                    caf::after(std::chrono::milliseconds(250)) >> [] {});
      for (auto& text : pending_notes->take())
        line.note(text);
      if (result || failure)
        break;
      auto now = clock_type::now();
      auto& p = *progress;
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
        nodes_up = dc->workers().size();
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
    cluster_secs = seconds_since(start);
    for (auto& text : pending_notes->take())
      line.note(text);
    // Where the work went: chunks mapped per node (remaps included).
    for (auto& m : mappers)
      self->request(m, call_timeout, stats_atom::value)
        .receive(
          [&](uint64_t n, uint64_t) { chunks_per_node[node_of(m)] += n; },
          [&](caf::error& err) {
            line.note("  a mapper on " + node_of(m) + " did not answer: "
                      + troupe::render(err));
          });
  }
  caf::anon_send_exit(job, caf::exit_reason::user_shutdown);
  if (failure) {
    std::printf("summary: FAILED: %s\n", troupe::render(failure).c_str());
    return 1;
  }

  // The check: a single-process count of the same chunks.
  auto r0 = clock_type::now();
  word_counts reference;
  for (auto& c : *chunks)
    count_words(c, reference);
  auto reference_secs = seconds_since(r0);
  auto cmp = compare(reference, *result);
  auto crashes = progress->crashes.load();
  auto restarts = incarnations->load() - 1;
  std::string spread;
  for (auto& [name, n] : chunks_per_node)
    spread += (spread.empty() ? "" : ", ") + name + " "
              + std::to_string(n);
  std::printf("chunks mapped per node: %s; %u partial counts re-sent, %" PRIu64
              " duplicates ignored by the reducer\n",
              spread.c_str(), progress->resent.load(), result->duplicates);
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
    cmp.cluster_words, cmp.cluster_distinct, megabytes(generated.bytes),
    chunks->size(), n_mappers, per_node.size(), cluster_secs, crashes,
    restarts, top_words(*result, 5).c_str(), reference_secs, cmp.words,
    cmp.distinct, verdict.c_str());
  return ok ? 0 : 1;
}

troupe::demo::register_demo reg{
  "wordcount",
  "map-reduce word count over the cluster with a crashing, supervised reducer",
  run};

} // namespace
