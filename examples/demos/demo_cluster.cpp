#include "demos/demo_cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "demos/demo_registry.hpp"
#include "tools/command_line.hpp"

namespace troupe::demo {

std::unique_ptr<demo_cluster>
demo_cluster::start(const demo_cluster_options& opt) {
  std::unique_ptr<demo_cluster> result{new demo_cluster};
  auto seed = opt.seed;
  auto cookie_file = opt.cookie_file;
  if (seed.empty()) {
    auto log_dir = "/tmp/troupe-demo-" + opt.demo + "-"
                   + std::to_string(getpid());
    std::printf("starting an embedded local cluster: %d worker nodes "
                "(logs in %s/)\n",
                opt.nodes, log_dir.c_str());
    std::fflush(stdout);
    result->local_ = std::make_unique<tools::local_cluster>(tools::self_path(), log_dir);
    remove_after_success(log_dir);
    // The embedded nodes serve their HTTP endpoints (issue 16).
    auto node_args = opt.node_args;
    node_args.insert(node_args.begin(), "--troupe.http=127.0.0.1:0");
    if (auto err = result->local_->start(opt.nodes, "n", node_args)) {
      std::cerr << "error: the local cluster did not start: " << *err << "\n";
      return nullptr;
    }
    for (auto& nd : result->local_->nodes())
      std::printf("  node %s: metrics and status at %smetrics\n",
                  nd.name.c_str(), nd.http.c_str());
    seed = result->local_->seed();
    cookie_file = result->local_->cookie_file();
  }
  result->cfg_ = std::make_unique<troupe::config>();
  auto& cfg = *result->cfg_;
  cfg.set("troupe.seeds", seed);
  if (!cookie_file.empty())
    cfg.set("troupe.cookie-file", cookie_file);
  cfg.set("troupe.listen", opt.listen);
  cfg.set("troupe.role", "client");
  cfg.set("troupe.node-name", opt.demo + "-client-" + std::to_string(getpid()));
  cfg.set("troupe.log-level", opt.log_level);
  apply_node_setups(cfg);
  auto n = troupe::node::start(cfg);
  if (!n) {
    std::cerr << "error: this process could not join the cluster at " << seed
              << ": " << troupe::render(n.error()) << "\n";
    if (!opt.seed.empty() && n.error() == troupe::errc::type_set_mismatch)
      std::cerr << "a demo joins nodes that register the demos' types: start "
                   "the cluster with `troupe-demos cluster up` (or "
                   "`troupe-demos node`), not `troupe cluster up`\n";
    return nullptr;
  }
  result->client_ = std::move(*n);
  if (auto ep = troupe::http_endpoint::start(*result->client_, "127.0.0.1", 0)) {
    result->http_ = std::move(*ep);
    std::printf("dashboard: %s (any node's endpoint serves it too)\n",
                result->http_->url().c_str());
  } else {
    std::cerr << "warning: no HTTP endpoint for this process: "
              << troupe::render(ep.error()) << "\n";
  }
  auto expected = opt.seed.empty() ? static_cast<size_t>(opt.nodes) : 1u;
  if (!result->await_workers(expected)) {
    std::cerr << "error: only " << result->workers().size() << " of "
              << expected << " worker nodes came up within 30 s; see the "
              << "node logs\n";
    return nullptr;
  }
  std::printf("joined the cluster through %s: %zu worker nodes up\n",
              seed.c_str(), result->workers().size());
  std::fflush(stdout);
  return result;
}

stop_watchdog::~stop_watchdog() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void stop_watchdog::arm(std::chrono::seconds limit, std::string what) {
  stage(std::move(what));
  if (thread_.joinable())
    return;
  thread_ = std::thread([this, limit] {
    std::unique_lock<std::mutex> guard{mtx_};
    if (cv_.wait_for(guard, limit, [this] { return done_; }))
      return;
    std::fprintf(stderr,
                 "error: the demo's stop did not finish within %lld s "
                 "(waiting for: %s); exiting\n",
                 static_cast<long long>(limit.count()), stage_.c_str());
    std::fflush(stderr);
    std::_Exit(1);
  });
}

void stop_watchdog::stage(std::string what) {
  std::lock_guard<std::mutex> guard{mtx_};
  stage_ = std::move(what);
}

demo_cluster::~demo_cluster() {
  // Leave (2 s) + this node's stop + the local nodes' (10 s each at most,
  // in parallel) stay well within the bound.
  stop_watchdog watchdog;
  watchdog.arm(std::chrono::seconds(40), "the HTTP endpoint to stop");
  http_.reset();
  if (client_) {
    watchdog.stage("this process to leave the cluster and stop its node");
    client_->leave(std::chrono::seconds(2));
    client_.reset();
  }
  if (local_) {
    watchdog.stage("the " + std::to_string(local_->nodes().size())
                   + " local worker nodes to stop (SIGTERM, then SIGKILL "
                     "after 10 s)");
    local_->stop_all();
  }
}

std::vector<member_info> demo_cluster::workers() {
  auto view = client_->members();
  if (!view) {
    std::cerr << "warning: membership query failed: "
              << troupe::render(view.error()) << "\n";
    return {};
  }
  return troupe::up_workers(std::move(*view));
}

bool demo_cluster::await_workers(size_t n, std::chrono::milliseconds timeout) {
  // Membership lives in other processes: re-query with a bounded deadline.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (workers().size() >= n)
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

progress_line::progress_line(std::chrono::milliseconds every)
  : tty_(isatty(STDOUT_FILENO)), every_(every) {
}

void progress_line::update(const std::string& text) {
  auto now = std::chrono::steady_clock::now();
  auto interval = tty_ ? std::chrono::milliseconds(250) : every_;
  if (now - last_ < interval)
    return;
  last_ = now;
  if (tty_) {
    std::printf("\r\033[K%s", text.c_str());
    dirty_ = true;
  } else {
    std::printf("%s\n", text.c_str());
  }
  std::fflush(stdout);
}

void progress_line::note(const std::string& text) {
  std::printf("%s%s\n", tty_ && dirty_ ? "\r\033[K" : "", text.c_str());
  dirty_ = false;
  last_ = {};
  std::fflush(stdout);
}

void progress_line::finish(const std::string& text) {
  note(text);
}

stop_on_exit::~stop_on_exit() {
  caf::scoped_actor self{sys.actors()};
  for (auto& x : actors)
    self->request(x, std::chrono::seconds(10), stop)
      .receive([] {},
               [&](caf::error& err) {
                 std::cerr << "warning: " << what << " did not stop: "
                           << troupe::render(err) << "\n";
               });
}

} // namespace troupe::demo
