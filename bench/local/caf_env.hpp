#pragma once
// The raw-CAF side of the local benchmarks: a plain caf::actor_system with
// CAF's defaults. Long-lived services are plain spawned actors, and a
// restartable service is a monitor that respawns its child and republishes
// it in a name map: the least any supervisor has to do.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "harness/options.hpp"
#include "local/atoms.hpp"

namespace bench {

class caf_env {
public:
  static constexpr const char* label = "caf";

  explicit caf_env(options& opts) : sys_(parsed(cfg_, opts)) {
    // nop
  }

  /// CAF's system waits for every actor at destruction: stop what we own.
  ~caf_env() {
    for (auto& hdl : owned_)
      caf::anon_send_exit(hdl, caf::exit_reason::kill);
  }

  caf::actor_system& sys() noexcept {
    return sys_;
  }

  /// An actor that lives for one benchmark run (clients, workers).
  template <class F, class... Ts>
  caf::actor spawn(F fun, Ts&&... xs) {
    return sys_.spawn(fun, std::forward<Ts>(xs)...);
  }

  /// A long-lived actor the benchmark talks to.
  template <class F, class... Ts>
  caf::actor service(F fun, Ts&&... xs) {
    auto hdl = sys_.spawn(fun, std::forward<Ts>(xs)...);
    owned_.push_back(hdl);
    return hdl;
  }

  /// A service that is started again whenever it fails, reachable by name
  /// through `resolve`.
  template <class F>
  void restartable(const std::string& name, F fun) {
    auto hdl = sys_.spawn(restarter<F>, name, fun);
    owned_.push_back(hdl);
    // The restarter answers once it has started the first incarnation, so
    // the name resolves when this returns (as with troupe's start_child).
    caf::scoped_actor self{sys_};
    self->request(hdl, std::chrono::seconds(10), ping_atom::value)
      .receive([] {}, [](caf::error& err) {
        throw std::runtime_error("restarter: " + caf::to_string(err));
      });
  }

  /// The current incarnation of a restartable service (may be dead already).
  static caf::actor resolve(caf::actor_system&, const std::string& name) {
    std::lock_guard<std::mutex> guard{names_mtx()};
    auto i = names().find(name);
    return i != names().end() ? i->second : caf::actor{};
  }

private:
  // A name map of our own: CAF's registry keeps the first entry of a key
  // (emplace) and erases the key when that actor dies, which races with the
  // restart and can drop the new incarnation's entry.
  static std::mutex& names_mtx() {
    static std::mutex mtx;
    return mtx;
  }

  static std::unordered_map<std::string, caf::actor>& names() {
    static std::unordered_map<std::string, caf::actor> xs;
    return xs;
  }

  template <class F>
  static caf::behavior restarter(caf::event_based_actor* self,
                                 std::string name, F fun) {
    auto start = [self, name, fun] {
      // Linked: the child goes down with the restarter at the end.
      auto child = self->spawn<caf::monitored + caf::linked>(fun);
      std::lock_guard<std::mutex> guard{names_mtx()};
      names()[name] = std::move(child);
    };
    start();
    // Trap the child's exit through the link: its failure is our cue to
    // restart it, not a reason to die with it.
    self->set_exit_handler([](caf::exit_msg&) {});
    self->set_down_handler([start](caf::down_msg&) { start(); });
    self->attach_functor([name] {
      std::lock_guard<std::mutex> guard{names_mtx()};
      names().erase(name);
    });
    // Its only message: "are you up?", answered once the child runs.
    return {[](ping_atom) {}};
  }

  static caf::actor_system_config& parsed(caf::actor_system_config& cfg,
                                          options& opts) {
    if (auto err = cfg.parse(opts.argc(), opts.argv()))
      throw std::runtime_error("bad CAF option: " + cfg.render(err));
    return cfg;
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  std::vector<caf::actor> owned_;
};

} // namespace bench
