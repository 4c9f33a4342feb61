// A real Prometheus (Debian's, 2.42) scrapes a 3-node cluster of `troupe
// node` processes through their HTTP endpoints (issue 16, item 3). The
// test starts it on loopback with a generated configuration, then asks
// its HTTP API whether every node's series arrived and whether a message
// rate moves while load runs. Every wait is bounded; loops re-ask
// Prometheus until a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cluster_fixture.hpp"
#include "tools/child_process.hpp"
#include "troupe/rpc.hpp"

namespace troupe::test {

namespace {

using nlohmann::json;

/// A port that was free a moment ago (Prometheus takes no port 0 and does
/// not print the one it got; a clash is retried by the caller).
uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

/// "127.0.0.1:PORT" of "http://127.0.0.1:PORT/".
std::string host_port(const std::string& url) {
  auto s = url.substr(std::string{"http://"}.size());
  return s.substr(0, s.find('/'));
}

struct prometheus {
  std::string dir;
  uint16_t port = 0;
  tools::child_process proc;

  /// Starts Prometheus scraping `targets` every second; an error text if
  /// it never answered.
  std::optional<std::string> start(const std::string& work_dir,
                                   const std::vector<std::string>& targets) {
    dir = work_dir;
    std::ofstream cfg{dir + "/prometheus.yml"};
    cfg << "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
           "scrape_configs:\n  - job_name: troupe\n    static_configs:\n"
           "      - targets: [";
    for (size_t i = 0; i < targets.size(); ++i)
      cfg << (i ? ", " : "") << '"' << targets[i] << '"';
    cfg << "]\n";
    cfg.close();
    for (int attempt = 0; attempt < 3; ++attempt) {
      port = free_port();
      proc = tools::child_process{
          {.binary = PROMETHEUS_BINARY,
           .args = {"--config.file=" + dir + "/prometheus.yml",
                    "--storage.tsdb.path=" + dir + "/data",
                    "--web.listen-address=127.0.0.1:" + std::to_string(port),
                    "--log.level=warn"},
           .stderr_path = dir + "/prometheus.log"}};
      if (auto err = proc.start())
        return err;
      auto deadline = std::chrono::steady_clock::now() + 30s;
      while (std::chrono::steady_clock::now() < deadline) {
        httplib::Client cli{"127.0.0.1", port};
        cli.set_connection_timeout(1, 0);
        if (auto res = cli.Get("/-/ready"); res && res->status == 200)
          return std::nullopt;
        if (auto st = tools::try_reap(proc.pid())) {
          proc.detach();
          break; // exited: the port was taken after all; try another
        }
        std::this_thread::sleep_for(50ms); // re-ask interval
      }
      proc.stop(SIGTERM, 5s);
    }
    return "prometheus did not become ready; see " + dir + "/prometheus.log";
  }

  /// The result vector of an instant query (empty on any error).
  json query(const std::string& promql) {
    httplib::Client cli{"127.0.0.1", port};
    cli.set_connection_timeout(2, 0);
    cli.set_read_timeout(5, 0);
    auto res = cli.Get("/api/v1/query", httplib::Params{{"query", promql}},
                       httplib::Headers{});
    if (!res || res->status != 200)
      return json::array();
    auto doc = json::parse(res->body, nullptr, false);
    if (doc.is_discarded() || doc.value("status", "") != "success")
      return json::array();
    return doc["data"]["result"];
  }

  /// Value per instance of a query whose series carry `instance`.
  std::map<std::string, double> by_instance(const std::string& promql) {
    std::map<std::string, double> out;
    for (auto& s : query(promql))
      out[s["metric"].value("instance", "")]
          = std::stod(s["value"][1].get<std::string>());
    return out;
  }

  /// Polls `promql` until `pred` holds for its per-instance values.
  bool eventually(
      const std::string& promql,
      const std::function<bool(const std::map<std::string, double>&)>& pred,
      std::chrono::milliseconds bound,
      std::map<std::string, double>* last = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    std::map<std::string, double> xs;
    while (std::chrono::steady_clock::now() < deadline) {
      xs = by_instance(promql);
      if (pred(xs)) {
        if (last)
          *last = xs;
        return true;
      }
      std::this_thread::sleep_for(200ms); // re-ask interval
    }
    if (last)
      *last = xs;
    return false;
  }
};

} // namespace

TEST_CASE_METHOD(member_fixture,
                 "prometheus scrapes every node's series and sees the message "
                 "rate rise while load runs") {
  cluster.set_common_args({"--troupe.http=127.0.0.1:0"});
  REQUIRE_FALSE(cluster.start(3));
  REQUIRE(all_up(0, 3));
  std::vector<std::string> targets;
  std::set<std::string> instances;
  for (auto& n : cluster.nodes()) {
    INFO(n.name << " printed no HTTP address; see " << n.log_path);
    REQUIRE_FALSE(n.http.empty());
    targets.push_back(host_port(n.http));
    instances.insert(host_port(n.http));
  }
  prometheus prom;
  auto dir = log_dir();
  mkdir(dir.c_str(), 0755);
  auto err = prom.start(dir, targets);
  INFO((err ? *err : std::string{}));
  REQUIRE_FALSE(err);
  auto every_node = [&](const std::map<std::string, double>& xs,
                        const std::function<bool(double)>& ok) {
    for (auto& i : instances)
      if (!xs.count(i) || !ok(xs.at(i)))
        return false;
    return true;
  };

  // Every node is scraped and reports the whole cluster up.
  CHECK(prom.eventually(
      "up",
      [&](auto& xs) { return every_node(xs, [](double v) { return v == 1; }); },
      60s));
  std::map<std::string, double> seen;
  CHECK(prom.eventually(
      "troupe_members{state=\"up\"}",
      [&](auto& xs) { return every_node(xs, [](double v) { return v == 3; }); },
      60s, &seen));
  for (auto& name :
       {"troupe_transport_messages_in_total",
        "troupe_transport_bytes_out_total", "troupe_member_events_total",
        "troupe_http_requests_total", "troupe_member_backlog"}) {
    INFO(name);
    CHECK(prom.eventually(
        std::string{"count by (instance) ("} + name + ")",
        [&](auto& xs) {
          return every_node(xs, [](double v) { return v >= 1; });
        },
        30s));
  }

  // The rate without load: heartbeats and gossip only.
  const std::string rate = "rate(troupe_transport_messages_in_total[5s])";
  std::map<std::string, double> idle;
  REQUIRE(prom.eventually(
      rate,
      [&](auto& xs) { return every_node(xs, [](double) { return true; }); },
      30s, &idle));
  double idle_max = 0;
  for (auto& [i, v] : idle)
    idle_max = std::max(idle_max, v);

  // Load: this process joins and calls an echo actor on every node, from
  // one thread, until the rate has moved on every node or time is up.
  join("client");
  std::vector<caf::actor> echoes;
  for (auto& n : cluster.nodes()) {
    auto e = self_node->spawn_on(n.name, "echo");
    REQUIRE(e);
    echoes.push_back(*e);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0};
  std::thread load{[&] {
    while (!stop)
      for (auto& e : echoes)
        if (rpc::call<std::string>(self_node->sys().actors(), e, 1s,
                                   std::string{"x"}))
          ++calls;
  }};
  std::map<std::string, double> busy;
  auto moved = prom.eventually(
      rate,
      [&](auto& xs) {
        return every_node(xs, [&](double v) { return v > idle_max + 50; });
      },
      60s, &busy);
  stop = true;
  load.join();
  std::string rates;
  for (auto& [i, v] : busy)
    rates += " " + i + "=" + std::to_string(v) + "/s";
  INFO("idle rate at most " << idle_max << "/s; " << calls
                            << " calls made; under load:" << rates);
  CHECK(moved);
  CHECK(calls > 0);
  prom.proc.stop(SIGTERM, 10s);
}

} // namespace troupe::test
