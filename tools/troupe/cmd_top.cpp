// `troupe top`: a live view of a cluster: members and their states,
// actors, agent backlogs, message rates in and out and restarts, refreshed
// every interval; `--once` prints one table and exits (for scripts and
// tests). Two sources:
//  - `--seed HOST:PORT`: troupe's own protocol, as `troupe status` (the
//    cluster secret or TLS apply): the seed's membership view, then each
//    live member's counters, twice one interval apart for the rates
//    (troupe/cluster_probe.hpp). It does not join, so watching adds no
//    member and no member events. Bounded by --timeout (within.hpp).
//  - `--http HOST:PORT`: the nodes' HTTP endpoints (--troupe.http; `troupe
//    cluster up` prints them): the given node's /api/cluster for the
//    members and their endpoints, then each member's /api/node twice.
//    Every request has a timeout.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <troupe/cluster_probe.hpp>
#include <troupe/troupe.hpp>

#include "commands.hpp"
#include "tools/stop_signals.hpp"
#include "within.hpp"

namespace troupe::tool {
namespace {

using namespace std::chrono_literals;

using nlohmann::json;

struct top_options {
  std::string http;
  std::string seed;
  std::string cookie_file;
  std::string tls_cert, tls_key, tls_ca;
  double timeout = 5.0;
  bool once = false;
  double interval = 1.0;
};

/// Per second, as a whole number; "-" without both samples.
std::string rate(std::optional<uint64_t> before, std::optional<uint64_t> now,
                 double seconds) {
  if (!before || !now || !(seconds > 0))
    return "-";
  char buf[32];
  auto delta = *now >= *before ? *now - *before : 0;
  std::snprintf(buf, sizeof(buf), "%.0f", static_cast<double>(delta) / seconds);
  return buf;
}

/// One table from the cluster's own protocol (--seed); false if the seed
/// did not answer. `sys` has the node types and the cluster's credentials.
bool print_seed_table(caf::actor_system& sys, const top_options& opt) {
  auto addr = troupe::parse_host_port(opt.seed, "--seed");
  auto budget = std::chrono::duration_cast<caf::timespan>(
      std::chrono::duration<double>(opt.timeout));
  auto sample = [&] {
    return within(
        std::chrono::duration<double>(opt.timeout) + 500ms, opt.seed, [&] {
          return troupe::sample_cluster(sys, addr->first, addr->second, budget);
        });
  };
  auto first = sample();
  if (!first) {
    std::cerr << "error: " << troupe::render(first.error()) << "\n";
    return false;
  }
  auto t0 = std::chrono::steady_clock::now();
  // Pacing between the two samples of a rate, not synchronisation.
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.interval));
  auto second = sample();
  if (!second) {
    std::cerr << "error: " << troupe::render(second.error()) << "\n";
    return false;
  }
  auto dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
  std::map<std::string, troupe::member_counters> before;
  for (size_t i = 0; i < first->members.size(); ++i)
    if (first->counters[i])
      before[first->members[i].name] = *first->counters[i];
  std::printf("%-16s %-8s %-7s %7s %8s %10s %10s %8s  %s\n", "NAME", "STATE",
              "ROLE", "ACTORS", "BACKLOG", "MSG_IN/s", "MSG_OUT/s", "RESTARTS",
              "ADDRESS");
  for (size_t i = 0; i < second->members.size(); ++i) {
    auto& m = second->members[i];
    auto& now = second->counters[i];
    auto prev = before.find(m.name);
    bool both = now && prev != before.end();
    auto in
        = rate(both ? std::optional{prev->second.messages_in} : std::nullopt,
               now ? std::optional{now->messages_in} : std::nullopt, dt);
    auto out
        = rate(both ? std::optional{prev->second.messages_out} : std::nullopt,
               now ? std::optional{now->messages_out} : std::nullopt, dt);
    auto restarts = now ? std::to_string(now->restarts) : std::string{"-"};
    std::printf("%-16s %-8s %-7s %7llu %8llu %10s %10s %8s  %s\n",
                m.name.c_str(), troupe::to_string(m.state).c_str(),
                troupe::to_string(m.role).c_str(),
                static_cast<unsigned long long>(m.actors),
                static_cast<unsigned long long>(m.backlog), in.c_str(),
                out.c_str(), restarts.c_str(), m.address().c_str());
  }
  std::fflush(stdout);
  return true;
}

/// The seed source's loop (or one table with --once).
int run_seed_top(const top_options& opt) {
  if (!(opt.timeout > 0)) {
    std::cerr << "error: --timeout must be a positive number of seconds, got "
              << opt.timeout << "\n";
    return 2;
  }
  auto addr = troupe::parse_host_port(opt.seed, "--seed");
  if (!addr) {
    std::cerr << "error: " << troupe::render(addr.error()) << "\n";
    return 2;
  }
  // Blocked before CAF's threads exist, so that they inherit it.
  auto stop_signals = tools::block_stop_signals();
  troupe::config cfg;
  cfg.set("troupe.log-level", "error");
  if (!opt.cookie_file.empty())
    cfg.set("troupe.cookie-file", opt.cookie_file);
  for (auto& [key, value] : {std::pair{"troupe.tls-cert", &opt.tls_cert},
                             std::pair{"troupe.tls-key", &opt.tls_key},
                             std::pair{"troupe.tls-ca", &opt.tls_ca}})
    if (!value->empty())
      cfg.set(key, *value);
  troupe::system sys{troupe::add_node_types(cfg)};
  if (opt.once)
    return print_seed_table(sys.actors(), opt) ? 0 : 1;
  do {
    std::printf("\033[H\033[2J"); // home, clear: the next table replaces it
    std::printf("troupe top: seed %s (Ctrl-C quits)\n\n", opt.seed.c_str());
    if (!print_seed_table(sys.actors(), opt))
      std::printf("(no answer; trying again)\n");
  } while (tools::wait_stop_signal(stop_signals, std::chrono::milliseconds(1))
           == 0);
  return 0;
}

/// GET `path` from `host_port` with short timeouts, parsed; nothing on
/// any failure.
std::optional<json> get_json(const std::string& host_port,
                             const std::string& path) {
  auto addr = troupe::parse_host_port(host_port, "--http");
  if (!addr)
    return std::nullopt;
  httplib::Client cli{addr->first, addr->second};
  cli.set_connection_timeout(1, 0);
  cli.set_read_timeout(2, 0);
  cli.set_write_timeout(2, 0);
  auto res = cli.Get(path.c_str());
  if (!res || res->status != 200)
    return std::nullopt;
  auto doc = json::parse(res->body, nullptr, false);
  if (doc.is_discarded())
    return std::nullopt;
  return doc;
}

/// "HOST:PORT" of "http://HOST:PORT/".
std::string host_port_of(const std::string& url) {
  auto s = url.rfind("http://", 0) == 0 ? url.substr(7) : url;
  return s.substr(0, s.find('/'));
}

struct node_counts {
  double in = 0, out = 0, restarts = 0;
};

std::optional<node_counts> counts_of(const std::string& host_port) {
  auto doc = get_json(host_port, "/api/node");
  if (!doc || !doc->contains("metrics"))
    return std::nullopt;
  node_counts c;
  for (auto& m : (*doc)["metrics"]) {
    auto name = m.value("name", "");
    auto v = m.value("value", 0.0);
    if (name == "troupe_transport_messages_in_total")
      c.in += v;
    else if (name == "troupe_transport_messages_out_total")
      c.out += v;
    else if (name == "troupe_supervisor_restarts_total")
      c.restarts += v;
  }
  return c;
}

/// One table; false if the given endpoint did not answer.
bool print_table(const top_options& opt) {
  auto cluster = get_json(opt.http, "/api/cluster");
  if (!cluster) {
    std::cerr << "error: no answer from http://" << opt.http
              << "/api/cluster; is it a node's --troupe.http address?\n";
    return false;
  }
  auto& members = (*cluster)["members"];
  std::map<std::string, node_counts> first;
  for (auto& m : members)
    if (m["http"].is_string())
      if (auto c = counts_of(host_port_of(m["http"])))
        first[m.value("name", "")] = *c;
  auto t0 = std::chrono::steady_clock::now();
  // Pacing between the two samples of a rate, not synchronisation.
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.interval));
  std::printf("%-16s %-8s %-7s %7s %8s %10s %10s %8s  %s\n", "NAME", "STATE",
              "ROLE", "ACTORS", "BACKLOG", "MSG_IN/s", "MSG_OUT/s", "RESTARTS",
              "HTTP");
  for (auto& m : members) {
    auto name = m.value("name", "");
    std::string in = "-", out = "-", restarts = "-";
    if (m["http"].is_string() && first.count(name))
      if (auto c = counts_of(host_port_of(m["http"]))) {
        auto dt = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                - t0)
                      .count();
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.0f", (c->in - first[name].in) / dt);
        in = buf;
        std::snprintf(buf, sizeof(buf), "%.0f",
                      (c->out - first[name].out) / dt);
        out = buf;
        std::snprintf(buf, sizeof(buf), "%.0f", c->restarts);
        restarts = buf;
      }
    std::printf(
        "%-16s %-8s %-7s %7llu %8llu %10s %10s %8s  %s\n", name.c_str(),
        m.value("state", "?").c_str(), m.value("role", "?").c_str(),
        static_cast<unsigned long long>(m.value("actors", uint64_t{0})),
        static_cast<unsigned long long>(m.value("backlog", uint64_t{0})),
        in.c_str(), out.c_str(), restarts.c_str(),
        m["http"].is_string() ? m["http"].get<std::string>().c_str() : "-");
  }
  std::fflush(stdout);
  return true;
}

int run_top(const top_options& opt) {
  if (!opt.seed.empty())
    return run_seed_top(opt);
  if (!troupe::parse_host_port(opt.http, "--http")) {
    std::cerr << "error: --http expects HOST:PORT (a node's --troupe.http), "
                 "got \""
              << opt.http << "\"\n";
    return 2;
  }
  if (opt.once)
    return print_table(opt) ? 0 : 1;
  auto stop_signals = tools::block_stop_signals();
  do {
    std::printf("\033[H\033[2J"); // home, clear: the next table replaces it
    std::printf("troupe top: http://%s/ (Ctrl-C quits)\n\n", opt.http.c_str());
    if (!print_table(opt))
      std::printf("(no answer; trying again)\n");
  } while (tools::wait_stop_signal(stop_signals, std::chrono::milliseconds(1))
           == 0);
  return 0;
}

} // namespace

tools::command add_top_command(CLI::App& app) {
  auto opt = std::make_shared<top_options>();
  auto* sub = app.add_subcommand(
      "top",
      "a live view of a cluster (through any node, or its nodes' HTTP "
      "endpoints): members, states, actors, agent backlogs, message rates, "
      "restarts");
  auto* seed = sub->add_option("--seed", opt->seed,
                               "address of any node of the cluster (as for "
                               "`troupe status`)")
                   ->type_name("HOST:PORT");
  auto* http = sub->add_option("--http", opt->http,
                               "or the HTTP endpoint of any node (its "
                               "--troupe.http; `troupe cluster up` prints "
                               "them)")
                   ->type_name("HOST:PORT");
  seed->excludes(http);
  http->excludes(seed);
  sub->add_option("--cookie-file", opt->cookie_file,
                  "with --seed: the cluster secret (as the nodes' "
                  "--troupe.cookie-file)")
      ->type_name("FILE");
  sub->add_option("--tls-cert", opt->tls_cert,
                  "with --seed: a certificate of the cluster's CA, for a "
                  "cluster with mutual TLS (with --tls-key and --tls-ca)")
      ->type_name("FILE");
  sub->add_option("--tls-key", opt->tls_key, "its private key")
      ->type_name("FILE");
  sub->add_option("--tls-ca", opt->tls_ca, "the cluster's CA certificate")
      ->type_name("FILE");
  sub->add_option("--timeout", opt->timeout,
                  "with --seed: give up (exit status 1) when a sample of the "
                  "cluster has not come within this many seconds")
      ->type_name("SECONDS")
      ->capture_default_str();
  sub->add_flag("--once", opt->once, "print one table (plain text) and exit");
  sub->add_option("--interval", opt->interval,
                  "seconds between the two samples of a rate (and between "
                  "refreshes)")
      ->check(CLI::Range(0.1, 60.0));
  return {sub, [opt, seed, http] {
            if (seed->count() == 0 && http->count() == 0) {
              std::cerr << "error: troupe top needs --seed HOST:PORT (any "
                           "node) or --http HOST:PORT (a node's endpoint)\n";
              return 2;
            }
            return run_top(*opt);
          }};
}

} // namespace troupe::tool
