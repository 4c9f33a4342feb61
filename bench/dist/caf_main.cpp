// bench_dist_caf: the distributed benchmarks on raw CAF 0.17 (core and io,
// CAF's defaults, no troupe), to show what troupe adds on top. Two OS
// processes on loopback: this one (the client, which runs the pinger) and
// itself run again as the server (`--server`: a ponger published on an
// ephemeral port of 127.0.0.1, and `echo` and `sink` registered for remote
// spawn). Membership, failure detection and a registry have no raw-CAF
// counterpart: this program prints no join_*, failure_detection or
// registry_lookup; nor overload_peak_rss (troupe's figure shows BASP's own
// behaviour already).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "dist/flow_actors.hpp"
#include "dist/ping_actors.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "tools/child_process.hpp"
#include "tools/command_line.hpp"

namespace {

using namespace bench;
using namespace bench::dist;
using namespace std::chrono_literals;

constexpr auto request_timeout = std::chrono::seconds(120);

struct caf_config : caf::actor_system_config {
  caf_config() {
    load<caf::io::middleman>();
    add_message_type<series_result>("bench.dist.series_result");
    add_actor_type("echo", echo_once);
    add_message_type<flow_result>("bench.dist.flow_result");
    add_actor_type("sink", fast_sink);
  }
};

/// Server mode: publishes a ponger, prints "port N", and runs until stdin
/// closes (the client's signal; the client's death also kills this process).
int run_server(int argc, char** argv) {
  caf_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "server: " << to_string(err) << "\n";
    return 2;
  }
  caf::actor_system sys{cfg};
  auto pong = sys.spawn(ponger);
  auto port = sys.middleman().publish(pong, 0, "127.0.0.1", true);
  if (!port) {
    std::cerr << "server: publish failed: " << sys.render(port.error()) << "\n";
    caf::anon_send_exit(pong, caf::exit_reason::kill);
    return 1;
  }
  std::printf("port %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  char c;
  while (read(STDIN_FILENO, &c, 1) > 0) {
    // Nothing is ever sent on stdin; EOF means stop.
  }
  caf::anon_send_exit(pong, caf::exit_reason::kill);
  return 0;
}

/// The client's view of the server: its process and its ponger.
/// The server process dies with this one (PR_SET_PDEATHSIG); destroying
/// `proc` closes the server's stdin and SIGKILLs it after a grace period.
struct server {
  troupe::tools::child_process proc;
  caf::actor pong;

  server(caf::actor_system& sys, const std::vector<std::string>& caf_args)
      : proc({.binary = troupe::tools::self_path(),
              .args = with_server_flag(caf_args),
              .stderr_path = {},
              .pipe_stdin = true,
              .own_process_group = false,
              .limits = {}}) {
    using status = troupe::tools::child_process::read_status;
    if (auto err = proc.start())
      throw std::runtime_error("the server process did not start: " + *err);
    std::string line;
    auto got = proc.read_line(line, std::chrono::seconds(30));
    if (got == status::timeout)
      throw std::runtime_error("the server process printed no line within "
                               "30000 ms");
    if (got == status::closed)
      throw std::runtime_error("the server process exited during start-up "
                               "(see its messages above)");
    if (line.rfind("port ", 0) != 0)
      throw std::runtime_error("unexpected line from the server: " + line);
    auto port = static_cast<uint16_t>(std::atoi(line.c_str() + 5));
    auto hdl = sys.middleman().remote_actor("127.0.0.1", port);
    if (!hdl)
      throw std::runtime_error("remote_actor(127.0.0.1:" + std::to_string(port)
                               + ") failed: " + sys.render(hdl.error()));
    pong = std::move(*hdl);
    std::cerr << "  server on 127.0.0.1:" << port << "\n";
  }

  static std::vector<std::string>
  with_server_flag(std::vector<std::string> args) {
    args.insert(args.begin(), "--server");
    return args;
  }
};

series_result run_series(caf::actor_system& sys, const caf::actor& ping,
                         uint32_t warmup, uint32_t rounds, uint32_t window,
                         std::chrono::nanoseconds duration) {
  caf::scoped_actor self{sys};
  series_result res;
  caf::error err;
  self->request(ping, request_timeout, run_atom::value, warmup, rounds, window,
                static_cast<int64_t>(duration.count()))
      .receive([&](series_result& r) { res = std::move(r); },
               [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw std::runtime_error("ping-pong series failed: " + sys.render(err));
  if (res.out_of_order != 0)
    throw std::runtime_error(std::to_string(res.out_of_order)
                             + " pongs arrived out of order");
  return res;
}

void ping_pong(options& o, caf::actor_system& sys, server& srv) {
  auto rounds = o.size<uint32_t>(20'000, 2'000);
  auto ping = sys.spawn(pinger<>, srv.pong);
  auto res = run_series(sys, ping, 1'000, rounds, 1, {});
  caf::anon_send_exit(ping, caf::exit_reason::kill);
  std::vector<double> us;
  for (auto ns : res.latencies_ns)
    us.push_back(static_cast<double>(ns) / 1e3);
  report("dist_ping_pong_p50", percentile(us, 0.5), "us");
  report("dist_ping_pong_p99", percentile(us, 0.99), "us");
}

void throughput(options& o, caf::actor_system& sys, server& srv) {
  auto duration = o.quick ? std::chrono::nanoseconds{500ms}
                          : std::chrono::nanoseconds{2s};
  auto ping = sys.spawn(pinger<>, srv.pong);
  auto res = run_series(sys, ping, 1'000, 0, 100, duration);
  caf::anon_send_exit(ping, caf::exit_reason::kill);
  report("dist_throughput",
         static_cast<double>(res.rounds) * 1e9
             / static_cast<double>(res.elapsed_ns),
         "per_s");
}

/// 1M one-way messages from a blaster here to a sink spawned on the server
/// (middleman::remote_spawn), one confirmation at the end.
void oneway(options& o, caf::actor_system& sys, server& srv) {
  auto count = o.size<uint64_t>(1'000'000, 100'000);
  auto sink = sys.middleman().remote_spawn<caf::actor>(
      srv.pong.node(), "sink", caf::make_message(), std::chrono::seconds(10));
  if (!sink)
    throw std::runtime_error("remote_spawn of the sink failed: "
                             + sys.render(sink.error()));
  auto b = sys.spawn(blaster<>, *sink);
  caf::scoped_actor self{sys};
  flow_result res;
  caf::error err;
  self->request(b, request_timeout, blast_atom::value, count, int64_t{0})
      .receive([&](flow_result& r) { res = r; },
               [&](caf::error& e) { err = std::move(e); });
  caf::anon_send_exit(b, caf::exit_reason::kill);
  caf::anon_send_exit(*sink, caf::exit_reason::kill);
  if (err)
    throw std::runtime_error("the blast failed: " + sys.render(err));
  if (res.received != count)
    throw std::runtime_error("the sink counted " + std::to_string(res.received)
                             + " of " + std::to_string(count) + " messages");
  report("dist_oneway",
         static_cast<double>(count) * 1e9 / static_cast<double>(res.elapsed_ns),
         "per_s");
}

/// middleman::remote_spawn of `echo` on the server plus one request to it.
void remote_spawn(options& o, caf::actor_system& sys, server& srv) {
  auto n = o.size(1'000, 100);
  auto nid = srv.pong.node();
  caf::scoped_actor self{sys};
  auto once = [&](int64_t i) {
    auto t0 = clock_type::now();
    auto hdl = sys.middleman().remote_spawn<caf::actor>(
        nid, "echo", caf::make_message(), std::chrono::seconds(10));
    if (!hdl)
      throw std::runtime_error("remote_spawn failed: "
                               + sys.render(hdl.error()));
    caf::error err;
    self->request(*hdl, std::chrono::seconds(10), echo_atom::value, i)
        .receive(
            [&](int64_t x) {
              if (x != i)
                err = caf::sec::invalid_argument;
            },
            [&](caf::error& e) { err = std::move(e); });
    if (err)
      throw std::runtime_error("request to a remotely spawned actor failed: "
                               + sys.render(err));
    return elapsed_ns(t0);
  };
  report("remote_spawn", median_us(20, n, once), "us");
}

struct benchmark {
  std::vector<const char*> ids;
  std::function<void(options&, caf::actor_system&, server&)> run;
};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"the distributed benchmarks on raw CAF (this process and "
               "itself run again with --server); other options go to CAF, "
               "here and on the server",
               "bench_dist_caf"};
  options opts;
  opts.add_to(app);
  bool server_mode = false;
  app.add_flag("--server", server_mode,
               "run as the server process (started by the client)");
  if (auto code = troupe::tools::parse(app, argc, argv))
    return *code;
  opts.collect(app, "bench_dist_caf");
  if (server_mode)
    return run_server(opts.argc(), opts.argv());
  std::vector<benchmark> suite{
      {{"dist_ping_pong_p50", "dist_ping_pong_p99"}, ping_pong},
      {{"dist_throughput"}, throughput},
      {{"dist_oneway"}, oneway},
      {{"remote_spawn"}, remote_spawn},
  };
  std::cerr << "distributed benchmarks on raw caf"
            << (opts.quick ? " (quick)" : "") << "\n";
  int failures = 0;
  try {
    caf_config cfg;
    if (auto err = cfg.parse(opts.argc(), opts.argv())) {
      std::cerr << "error: " << to_string(err) << "\n";
      return 2;
    }
    // CAF options given to the client (e.g. --scheduler.max-threads=2)
    // apply to the server too.
    caf::actor_system sys{cfg};
    server srv{sys, opts.caf_args};
    for (auto& b : suite) {
      bool wanted = false;
      for (auto id : b.ids)
        wanted = wanted || opts.wants(id);
      if (!wanted)
        continue;
      try {
        b.run(opts, sys, srv);
      } catch (std::exception& e) {
        std::cerr << "  " << b.ids.front() << " FAILED: " << e.what() << "\n";
        ++failures;
      }
    }
  } catch (std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
