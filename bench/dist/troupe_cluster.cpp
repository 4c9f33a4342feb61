#include "dist/troupe_cluster.hpp"

#include <unistd.h>

#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <troupe/troupe.hpp>

#include "dist/troupe_types.hpp"
#include "tools/command_line.hpp"

namespace bench::dist {

bench_cluster::bench_cluster(int workers, const std::string& log_dir,
                             const std::vector<std::string>& caf_args)
    : local_(troupe::tools::self_path(), log_dir) {
  local_.set_common_args(caf_args);
  if (uses_basp(caf_args))
    local_.without_secret(); // BASP cannot authenticate
  if (auto err = local_.start(workers, "w"))
    throw std::runtime_error("the worker nodes did not start: " + *err);
  static int clients = 0;
  cfg_ = std::make_unique<troupe::config>();
  auto& cfg = *cfg_;
  std::vector<char*> argv{const_cast<char*>("bench_dist_troupe")};
  for (auto& a : caf_args)
    argv.push_back(const_cast<char*>(a.c_str()));
  std::ostringstream err;
  if (!cfg.load(static_cast<int>(argv.size()), argv.data(), err))
    throw std::runtime_error("bad options: " + err.str());
  cfg.set("troupe.seeds", local_.seed());
  if (!local_.cookie_file().empty())
    cfg.set("troupe.cookie-file", local_.cookie_file());
  cfg.set("troupe.listen", "127.0.0.1:0");
  cfg.set("troupe.role", "client");
  cfg.set("troupe.node-name", "bench-" + std::to_string(getpid()) + "-"
                                  + std::to_string(++clients));
  cfg.set("troupe.log-level", "error");
  register_types(cfg);
  auto n = troupe::node::start(cfg);
  if (!n)
    throw std::runtime_error("this process could not join the cluster at "
                             + local_.seed() + ": "
                             + troupe::render(n.error()));
  client_ = std::move(*n);
  // Wait for a member_up of every worker (events, not polling).
  std::set<std::string> pending;
  for (auto& w : local_.nodes())
    pending.insert(w.name);
  caf::scoped_actor self{client_->sys().actors()};
  client_->subscribe(caf::actor_cast<caf::actor>(self));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!pending.empty()) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= caf::timespan::zero())
      throw std::runtime_error(std::to_string(pending.size())
                               + " worker nodes were not up in this "
                                 "process's view after 30 s; see the logs in "
                               + local_.nodes().front().log_path);
    self->receive(
        [&](troupe::member_event& ev) {
          if (ev.kind == troupe::member_event::member_up)
            pending.erase(ev.member.name);
        },
        caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left))
            >> [] {});
  }
  // A member_up comes before this node has its own connection to the
  // member, which spawn_on needs (it waits for it, or with older runtimes
  // fails with "node_down: member is up"). Wait for every connection here,
  // so that no timing includes it. No event tells when it is there: poll,
  // bounded.
  for (;;) {
    auto view = client_->members(std::chrono::seconds(5));
    auto connected = view ? troupe::up_workers(std::move(*view)).size() : 0;
    if (connected == local_.nodes().size())
      break;
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("this process did not connect to every worker "
                               "node within 30 s; see the logs in "
                               + local_.nodes().front().log_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bench_cluster::~bench_cluster() {
  if (client_) {
    client_->leave(std::chrono::seconds(2));
    client_.reset();
  }
  local_.stop_all();
}

} // namespace bench::dist
