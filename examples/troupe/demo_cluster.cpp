#include "troupe/demo_cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "troupe/cli.hpp"
#include "troupe/node_setup.hpp"

namespace troupe::cli {

const char* cluster_flags_help =
  "  --nodes N          worker node processes of the embedded local cluster\n"
  "                     (default 3)\n"
  "  --seed HOST:PORT   run against a running cluster instead (started with\n"
  "                     `troupe cluster up` or `troupe node`)\n"
  "  --listen HOST:PORT this process's address when it joins (default\n"
  "                     127.0.0.1:0; use a reachable host with --seed on\n"
  "                     other machines)\n"
  "  --log-level LEVEL  this process's log level: debug, info, warning,\n"
  "                     error (default) or quiet\n";

bool parse_cluster_flag(int argc, char** argv, int& i,
                        demo_cluster_options& opt) {
  std::string arg = argv[i];
  if (arg != "--nodes" && arg != "--seed" && arg != "--listen"
      && arg != "--log-level")
    return false;
  if (i + 1 >= argc) {
    std::cerr << "error: " << arg << " needs a value\n";
    std::exit(2);
  }
  std::string value = argv[++i];
  if (arg == "--nodes") {
    opt.nodes = std::atoi(value.c_str());
    if (opt.nodes < 1 || opt.nodes > 64) {
      std::cerr << "error: --nodes must be between 1 and 64\n";
      std::exit(2);
    }
  } else if (arg == "--seed") {
    opt.seed = value;
  } else if (arg == "--log-level") {
    opt.log_level = value;
  } else {
    opt.listen = value;
  }
  return true;
}

std::unique_ptr<demo_cluster>
demo_cluster::start(const demo_cluster_options& opt) {
  std::unique_ptr<demo_cluster> result{new demo_cluster};
  auto seed = opt.seed;
  if (seed.empty()) {
    auto log_dir = "/tmp/troupe-demo-" + opt.demo + "-"
                   + std::to_string(getpid());
    std::printf("starting an embedded local cluster: %d worker nodes "
                "(logs in %s/)\n",
                opt.nodes, log_dir.c_str());
    std::fflush(stdout);
    result->local_ = std::make_unique<local_cluster>(self_path(), log_dir);
    if (auto err = result->local_->start(opt.nodes, "n", opt.node_args)) {
      std::cerr << "error: the local cluster did not start: " << *err << "\n";
      return nullptr;
    }
    seed = result->local_->seed();
  }
  result->cfg_ = std::make_unique<troupe::config>();
  auto& cfg = *result->cfg_;
  cfg.set("troupe.seeds", seed);
  cfg.set("troupe.listen", opt.listen);
  cfg.set("troupe.role", "client");
  cfg.set("troupe.node-name", opt.demo + "-client-" + std::to_string(getpid()));
  cfg.set("troupe.log-level", opt.log_level);
  apply_node_setups(cfg);
  auto n = troupe::node::start(cfg);
  if (!n) {
    std::cerr << "error: this process could not join the cluster at " << seed
              << ": " << troupe::render(n.error()) << "\n";
    return nullptr;
  }
  result->client_ = std::move(*n);
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

demo_cluster::~demo_cluster() {
  if (client_) {
    client_->leave(std::chrono::seconds(2));
    client_.reset();
  }
  if (local_)
    local_->stop_all();
}

std::vector<member_info> demo_cluster::workers() {
  std::vector<member_info> result;
  auto view = client_->members();
  if (!view) {
    std::cerr << "warning: membership query failed: "
              << troupe::render(view.error()) << "\n";
    return result;
  }
  for (auto& m : *view)
    if (m.state == member_state::up && m.hosts_placed_actors())
      result.push_back(std::move(m));
  std::sort(result.begin(), result.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  return result;
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

} // namespace troupe::cli
