#pragma once
// The troupe side of the local benchmarks, written as a troupe user would:
// a troupe::system with troupe's defaults, long-lived services started as
// children of a one_for_one supervisor, and a restartable service as a
// supervised child with a stable name. Ephemeral actors (workers, clients)
// are spawned with troupe::system::spawn. The workloads are the same code
// as in the raw-CAF program, so the troupe/CAF ratio is what these layers
// (and troupe's scheduler defaults) cost or save.

#include <chrono>
#include <climits>
#include <iostream>
#include <stdexcept>
#include <string>

#include <troupe/troupe.hpp>

#include "harness/options.hpp"

namespace bench {

class troupe_env {
public:
  static constexpr const char* label = "troupe";

  explicit troupe_env(options& opts) : sys_(loaded(cfg_, opts)) {
    // Restarts are the point of the restart benchmark: never escalate.
    auto sup = sys_.start(troupe::supervisor_spec{
      .strategy = troupe::one_for_one,
      .intensity = INT_MAX,
      .period = std::chrono::seconds(1),
      .children = {},
    });
    if (!sup)
      throw std::runtime_error("supervisor: " + troupe::render(sup.error()));
    root_ = *sup;
  }

  caf::actor_system& sys() noexcept {
    return sys_.actors();
  }

  /// An actor that lives for one benchmark run (clients, workers).
  template <class F, class... Ts>
  caf::actor spawn(F fun, Ts&&... xs) {
    return sys_.spawn(fun, std::forward<Ts>(xs)...);
  }

  /// A long-lived actor the benchmark talks to: a supervised child.
  template <class F, class... Ts>
  caf::actor service(F fun, Ts&&... xs) {
    auto id = "service-" + std::to_string(++services_);
    auto hdl = root_.start_child(
      troupe::child(id, fun, std::forward<Ts>(xs)...).brutal_kill());
    if (!hdl)
      throw std::runtime_error("start_child: " + troupe::render(hdl.error()));
    return *hdl;
  }

  /// A supervised child with a stable name, restarted whenever it fails.
  template <class F>
  void restartable(const std::string& name, F fun) {
    auto hdl = root_.start_child(troupe::child(name, fun).named(name));
    if (!hdl)
      throw std::runtime_error("start_child: " + troupe::render(hdl.error()));
  }

  /// The handle behind a stable name (the same across restarts).
  static caf::actor resolve(caf::actor_system& sys, const std::string& name) {
    auto hdl = troupe::whereis(sys, name);
    return hdl ? *hdl : caf::actor{};
  }

private:
  static troupe::config& loaded(troupe::config& cfg, options& opts) {
    if (!cfg.load(opts.argc(), opts.argv(), std::cerr))
      throw std::runtime_error("bad troupe/CAF option");
    return cfg;
  }

  troupe::config cfg_;
  troupe::system sys_;
  troupe::supervisor root_;
  int services_ = 0;
};

} // namespace bench
