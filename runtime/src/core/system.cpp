#include "troupe/system.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/settings.hpp>

#include "supervision/name_table.hpp"
#include "supervision/supervisor_actor.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/member.hpp"

namespace troupe {

namespace {

/// troupe's scheduler defaults, where the user set nothing (the command
/// line and config file still win). Measured with bench/run.sh: see
/// bench/RESULTS.md.
void tune_scheduler(config& cfg) {
  auto unset = [&](const char* key) {
    return caf::get_if(&cfg.content, key) == nullptr;
  };
  // CAF starts max(cores, 4) workers: on a 2-core machine that is twice as
  // many threads as cores, and they preempt each other (and the network
  // thread) in the middle of message bursts. One worker per core, like
  // Erlang's schedulers.
  if (unset("scheduler.max-threads"))
    cfg.set("scheduler.max-threads",
            std::max(size_t{2}, size_t{std::thread::hardware_concurrency()}));
  // An idle CAF worker polls its queue 100 times, then 500 times with a
  // 50 us sleep between polls, then waits on a condition variable (woken
  // by the next enqueue). A message that arrives during the second phase
  // (from the network thread, say) waits out the sleep, 50 us plus timer
  // slack, on every hop: that phase alone made up a third of a cross-node
  // round trip here. Without the sleep the phase is a short spin, and the
  // wait after it still wakes at once.
  if (unset("work-stealing.moderate-sleep-duration"))
    cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
}

} // namespace

config& system::prepare(config& cfg) {
  cfg.add_error_category(errc_category,
                         [](uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           return troupe::render(caf::error{code, errc_category, ctx});
                         });
  cfg.caf::actor_system_config::load<caf::io::middleman>();
  tune_scheduler(cfg);
  cfg.add_message_type<child_info>("troupe.child_info");
  cfg.add_message_type<child_counts>("troupe.child_counts");
  cfg.add_message_type<member_info>("troupe.member_info");
  cfg.add_message_type<member_event>("troupe.member_event");
  auto name = cfg.node_name();
  if (name.empty()) {
    char host[256] = "node";
    gethostname(host, sizeof(host) - 1);
    name = std::string{host} + "-" + std::to_string(getpid());
  }
  log::set_node(name);
  if (!log::set_level(cfg.log_level()))
    log::warning("config", "unknown troupe.log-level \"" + cfg.log_level()
                             + "\"; use debug, info, warning, error or quiet");
  return cfg;
}

system::system(config& cfg) : cfg_(prepare(cfg)), sys_(cfg) {
  // nop
}

system::~system() {
  // Stop the trees this system started, so that CAF's wait for all actors
  // at destruction ends; then drop the stable names.
  for (auto& sup : started_)
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  started_.clear();
  sys_.await_all_actors_done();
  detail::name_table::release(sys_);
}

caf::expected<supervisor> system::start(supervisor_spec spec, std::string name,
                                        caf::timespan timeout) {
  auto hdl = spawn_supervisor(sys_, std::move(spec), std::move(name));
  // The supervisor starts its children before it handles any message, so an
  // answer to this request means the tree is up; a down_msg means it failed.
  caf::scoped_actor self{sys_};
  self->monitor(hdl);
  caf::error err;
  bool answered = false;
  self->request(hdl, timeout, count_children_atom::value)
    .receive([&](child_counts&) { answered = true; },
             [&](caf::error& e) { err = std::move(e); });
  if (answered) {
    self->demonitor(hdl);
    started_.push_back(hdl);
    // A nested supervisor starts its own children after its parent moved
    // on; wait for every level so that the whole tree (and its stable names)
    // is up when start returns.
    std::vector<caf::actor> pending{hdl};
    while (!pending.empty()) {
      auto sup = std::move(pending.back());
      pending.pop_back();
      self->request(sup, timeout, which_children_atom::value)
        .receive(
          [&](std::vector<child_info>& xs) {
            for (auto& x : xs)
              if (x.is_supervisor && x.handle)
                pending.push_back(x.handle);
          },
          [](caf::error&) {
            // A nested supervisor that failed is its parent's business now.
          });
    }
    return supervisor{sys_, hdl};
  }
  self->receive([&](caf::down_msg& dm) { err = dm.reason; },
                caf::after(timeout) >> [] {});
  caf::anon_send_exit(hdl, caf::exit_reason::kill);
  return err ? err : make_error(errc::timeout, "supervisor did not start");
}

caf::expected<caf::actor> system::whereis(const std::string& name) const {
  return troupe::whereis(const_cast<caf::actor_system&>(sys_), name);
}

caf::expected<caf::actor> whereis(caf::actor_system& sys, const std::string& name) {
  if (auto hdl = detail::name_table::of(sys)->find(name))
    return hdl;
  return make_error(errc::unknown_name, "\"" + name + "\"");
}

std::string system::render(const caf::error& err) const {
  return troupe::render(err);
}

} // namespace troupe
