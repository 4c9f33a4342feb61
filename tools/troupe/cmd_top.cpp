// `troupe top --http HOST:PORT`: a live view of a cluster from the nodes'
// HTTP endpoints (--troupe.http; `troupe cluster up` prints them): members
// and their states, actors, agent backlogs, message rates in and out and
// restarts, refreshed every interval; `--once` prints one table and exits
// (for scripts and tests). It reads the given node's /api/cluster for the
// members and their endpoints, then each member's /api/node twice, one
// interval apart, for the rates. Every request has a timeout.

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
#include <troupe/troupe.hpp>

#include "commands.hpp"
#include "tools/stop_signals.hpp"

namespace troupe::tool {
namespace {

using nlohmann::json;

struct top_options {
  std::string http;
  bool once = false;
  double interval = 1.0;
};

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
      "a live view of a cluster from its nodes' HTTP endpoints: members, "
      "states, actors, agent backlogs, message rates, restarts");
  sub->add_option("--http", opt->http,
                  "the HTTP endpoint of any node (its --troupe.http; `troupe "
                  "cluster up` prints them)")
      ->type_name("HOST:PORT")
      ->required();
  sub->add_flag("--once", opt->once, "print one table (plain text) and exit");
  sub->add_option("--interval", opt->interval,
                  "seconds between the two samples of a rate (and between "
                  "refreshes)")
      ->check(CLI::Range(0.1, 60.0));
  return {sub, [opt] { return run_top(*opt); }};
}

} // namespace troupe::tool
