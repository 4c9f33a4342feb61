#include "dist/troupe_flow.hpp"

#include <stdexcept>
#include <string>
#include <thread>

#include <troupe/troupe.hpp>

#include "dist/troupe_types.hpp"

namespace bench::dist {
namespace {

using namespace std::chrono_literals;

constexpr auto call_timeout = std::chrono::seconds(10);
constexpr auto blast_timeout = std::chrono::seconds(300);

std::string fail_text(const std::string& what, const caf::error& err) {
  return what + ": " + troupe::render(err);
}

/// A blaster on w1 aimed at a new `sink_type` on w2.
caf::actor blaster_pair(bench_cluster& c, const std::string& sink_type) {
  auto b = c.client().spawn_on(c.worker(0), "bench-blaster", {}, call_timeout);
  if (!b)
    throw std::runtime_error(fail_text("spawning the blaster", b.error()));
  // w1 may not have its own connection to w2 yet (see node_pinger in
  // troupe_main.cpp): retry a bounded number of times.
  caf::scoped_actor self{c.client().sys().actors()};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    caf::error err;
    self->request(*b, call_timeout, connect_atom::value, c.worker(1), sink_type)
        .receive([] {}, [&](caf::error& e) { err = std::move(e); });
    if (!err)
      return *b;
    if (err != troupe::errc::node_down
        || std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error(fail_text("placing the sink", err));
    std::this_thread::sleep_for(20ms);
  }
}

flow_result blast(bench_cluster& c, const caf::actor& b, uint64_t count,
                  std::chrono::nanoseconds duration) {
  caf::scoped_actor self{c.client().sys().actors()};
  flow_result res;
  caf::error err;
  self->request(b, blast_timeout, blast_atom::value, count,
                static_cast<int64_t>(duration.count()))
      .receive([&](flow_result& r) { res = r; },
               [&](caf::error& e) { err = std::move(e); });
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  if (err)
    throw std::runtime_error(fail_text("the blast", err));
  return res;
}

} // namespace

double oneway_per_s(bench_cluster& c, uint64_t count) {
  auto b = blaster_pair(c, "bench-sink");
  auto res = blast(c, b, count, {});
  if (res.received != count)
    throw std::runtime_error("the sink counted " + std::to_string(res.received)
                             + " of " + std::to_string(count) + " messages");
  return static_cast<double>(count) * 1e9
         / static_cast<double>(res.elapsed_ns);
}

flow_result overload(bench_cluster& c, std::chrono::nanoseconds duration) {
  auto b = blaster_pair(c, "bench-slow-sink");
  return blast(c, b, 0, duration);
}

} // namespace bench::dist
