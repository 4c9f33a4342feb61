// troupe::system::shutdown: no silent hang at exit. caf::actor_system waits
// without bound for every actor when it is destroyed; an actor a program
// started with sys.spawn and forgot then hangs it (found with gdb in
// actor_registry::await_running_count_equal). troupe waits a grace period,
// names what still runs and stops it.

#include "troupe/system.hpp"

#include <cxxabi.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>

#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include "supervision/cluster_names.hpp"
#include "supervision/name_table.hpp"
#include "troupe/log.hpp"

namespace troupe {

namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> pretty{
      abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free};
  return status == 0 && pretty ? std::string{pretty.get()} : std::string{name};
}

/// The class of a class-based actor, a lambda's type, or a function's name
/// when the dynamic symbol table has it (a program linked with -rdynamic).
std::string label(const std::type_info& type, const void* fn) {
  if (fn == nullptr)
    return demangle(type.name());
  Dl_info info{};
  if (dladdr(fn, &info) != 0 && info.dli_sname != nullptr
      && info.dli_saddr == fn)
    return demangle(info.dli_sname);
  return "function " + demangle(type.name())
         + " (link with -rdynamic to see its name)";
}

/// Waits until every actor of `hdls` has ended or `grace` has passed;
/// returns those still running.
std::vector<size_t> await_down(caf::actor_system& sys,
                               const std::vector<caf::actor>& hdls,
                               caf::timespan grace) {
  caf::scoped_actor self{sys, true}; // hidden: not one of the running
  size_t pending = 0;
  for (auto& hdl : hdls) {
    self->monitor(hdl);
    ++pending;
  }
  std::vector<bool> down(hdls.size(), false);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (pending > 0) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= caf::timespan::zero())
      break;
    bool timed_out = false;
    self->receive(
        [&](caf::down_msg& dm) {
          for (size_t i = 0; i < hdls.size(); ++i)
            if (!down[i] && hdls[i].address() == dm.source) {
              down[i] = true;
              --pending;
            }
        },
        caf::after(std::chrono::duration_cast<caf::timespan>(left)) >>
            [&] { timed_out = true; });
    if (timed_out)
      break;
  }
  std::vector<size_t> running;
  for (size_t i = 0; i < hdls.size(); ++i)
    if (!down[i])
      running.push_back(i);
  return running;
}

} // namespace

void system::track(caf::actor_addr addr, const std::type_info& type,
                   const void* fn) {
  std::lock_guard<std::mutex> guard{spawned_mtx_};
  spawned_.push_back({std::move(addr), &type, fn});
  if (spawned_.size() >= prune_at_) {
    // Forget the actors that ended: the list stays about as long as the
    // number of live ones.
    std::erase_if(spawned_, [](const spawned& x) {
      return caf::actor_cast<caf::actor>(x.addr) == nullptr;
    });
    prune_at_ = std::max<size_t>(64, 2 * spawned_.size());
  }
}

stop_report system::shutdown() {
  stop_report report;
  if (stopped_)
    return report;
  stopped_ = true;
  for (auto& sup : started_)
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  started_.clear();
  auto grace = caf::get_or(cfg_.content, "troupe.stop-grace",
                           caf::timespan{std::chrono::seconds(1)});
  std::vector<caf::actor> live;
  std::vector<const spawned*> what;
  std::vector<spawned> all;
  {
    std::lock_guard<std::mutex> guard{spawned_mtx_};
    all.swap(spawned_);
  }
  for (auto& x : all)
    if (auto hdl = caf::actor_cast<caf::actor>(x.addr)) {
      live.push_back(std::move(hdl));
      what.push_back(&x);
    }
  auto running = await_down(sys_, live, grace);
  if (!running.empty()) {
    std::map<std::string, size_t> counts;
    std::vector<caf::actor> stragglers;
    for (auto i : running) {
      ++counts[label(*what[i]->type, what[i]->fn)];
      stragglers.push_back(live[i]);
    }
    std::string text;
    for (auto& [name, n] : counts) {
      text += (text.empty() ? "" : ", ") + std::to_string(n) + " x " + name;
      report.by_type.emplace_back(name, n);
    }
    report.stopped = running.size();
    log::warning(
        "system",
        std::to_string(running.size())
            + " actor(s) started with troupe::system::spawn still ran "
            + caf::to_string(caf::config_value{grace})
            + " after the system began to stop: " + text
            + "; stopping them (user_shutdown, then kill). Stop them "
              "before the system ends, or start them under a "
              "supervisor (sys.start); troupe.stop-grace sets the wait");
    for (auto& hdl : stragglers)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    auto stubborn = await_down(sys_, stragglers, grace);
    std::vector<caf::actor> killed;
    for (auto i : stubborn) {
      caf::anon_send_exit(stragglers[i], caf::exit_reason::kill);
      killed.push_back(stragglers[i]);
    }
    // A kill cannot be refused, but it is handled only when the actor is
    // next scheduled: wait for it (bounded) before counting what else runs,
    // or a slow machine reports our own stragglers as "others".
    await_down(sys_, killed, std::max(grace, caf::timespan{std::chrono::seconds(1)}));
  }
  live.clear();
  // What troupe did not spawn may still run; CAF waits for it. Say so once
  // rather than hang in silence.
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (sys_.registry().running() > 0
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // bounded poll
  report.others = sys_.registry().running();
  if (report.others > 0)
    log::warning("system",
                 std::to_string(report.others)
                     + " actor(s) not started with troupe::system::spawn (or "
                       "spawned by other actors) still run "
                     + caf::to_string(caf::config_value{grace})
                     + " after the system began to stop; waiting for them to "
                       "end, as CAF does (send them an exit message, or spawn "
                       "them with sys.spawn so that the system stops them)");
  sys_.await_all_actors_done();
  detail::name_table::release(sys_);
  detail::cluster_names::clear_publisher(sys_);
  return report;
}

} // namespace troupe
