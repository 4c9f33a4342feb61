#include "core/prepare.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"

namespace troupe::detail {

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

config& prepare_core(config& cfg) {
  cfg.add_error_category(errc_category,
                         [](uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           return troupe::render(caf::error{code, errc_category, ctx});
                         });
  cfg.caf::actor_system_config::load<caf::io::middleman>();
  tune_scheduler(cfg);
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
  if (!log::set_format(caf::get_or(content(cfg), "troupe.log-format",
                                   std::string{"text"})))
    log::warning("config", "unknown troupe.log-format; use text or json");
  auto metrics_switch
      = caf::get_or(content(cfg), "troupe.metrics", std::string{"on"});
  if (metrics_switch != "on" && metrics_switch != "off")
    log::warning("config", "unknown troupe.metrics \"" + metrics_switch
                               + "\"; use on or off (metrics stay on)");
  metrics::set_enabled(metrics_switch != "off");
  return cfg;
}

} // namespace troupe::detail
