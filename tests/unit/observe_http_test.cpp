// A node's HTTP endpoint (issue 16, item 2): what it serves, and that a
// slow or malicious client cannot make it hold on without bound. Every
// wait is bounded; polling loops re-ask until a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "troupe/http_endpoint.hpp"
#include "troupe/node.hpp"

using namespace std::chrono_literals;
using troupe::http_endpoint;
using troupe::http_limits;

namespace {

struct node_fixture {
  troupe::test::test_config cfg;
  std::unique_ptr<troupe::node> nd;

  node_fixture() {
    cfg.set("troupe.node-name", "obs1");
    cfg.set("troupe.listen", "127.0.0.1:0");
    auto n = troupe::node::start(cfg);
    REQUIRE(n);
    nd = std::move(*n);
  }
};

/// A TCP connection to 127.0.0.1:port, or -1.
int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Reads until the peer closes or `bound` passes: the bytes read, and
/// whether the peer closed.
std::pair<std::string, bool> read_all(int fd, std::chrono::milliseconds bound) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms)
      return {out, false};
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return {out, false};
    char buf[4096];
    auto n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return {out, true};
    out.append(buf, static_cast<size_t>(n));
  }
}

void send_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    done += static_cast<size_t>(n);
  }
}

httplib::Result get(uint16_t port, const char* path, time_t timeout_s = 5) {
  httplib::Client cli{"127.0.0.1", port};
  cli.set_connection_timeout(timeout_s, 0);
  cli.set_read_timeout(timeout_s, 0);
  return cli.Get(path);
}

/// Polls `path` until it answers `status`, at most `bound`.
bool answers(uint16_t port, const char* path, int status,
             std::chrono::milliseconds bound = 15s) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = get(port, path);
    if (res && res->status == status)
      return true;
    std::this_thread::sleep_for(20ms); // re-ask interval, not a sync point
  }
  return false;
}

} // namespace

TEST_CASE("the HTTP endpoint is off unless --troupe.http names an address") {
  node_fixture f;
  auto ep = http_endpoint::start(*f.nd, f.cfg);
  REQUIRE(ep);
  CHECK(*ep == nullptr);
  f.cfg.set("troupe.http", "no-port");
  auto bad = http_endpoint::start(*f.nd, f.cfg);
  REQUIRE_FALSE(bad);
  CHECK(troupe::render(bad.error()).find("--troupe.http") != std::string::npos);
}

TEST_CASE("a node serves /metrics, /api/node, /api/cluster, /healthz and "
          "/readyz once it is an up member") {
  node_fixture f;
  f.cfg.set("troupe.http", "127.0.0.1:0");
  auto ep = http_endpoint::start(*f.nd, f.cfg);
  REQUIRE(ep);
  REQUIRE(*ep);
  auto port = (*ep)->port();
  CHECK((*ep)->url() == "http://127.0.0.1:" + std::to_string(port) + "/");
  REQUIRE(answers(port, "/readyz", 200));
  CHECK(answers(port, "/healthz", 200));

  auto m = get(port, "/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(
      m->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0)
      == 0);
  CHECK(m->body.find("# TYPE troupe_members gauge") != std::string::npos);
  CHECK(m->body.find("troupe_members{state=\"up\"} 1\n") != std::string::npos);
  CHECK(m->body.find("troupe_transport_messages_in_total")
        != std::string::npos);
  CHECK(m->body.find("troupe_member_events_total{event=\"up\"} 1\n")
        != std::string::npos);

  auto c = get(port, "/api/cluster");
  REQUIRE(c);
  CHECK(c->status == 200);
  auto cluster = nlohmann::json::parse(c->body);
  CHECK(cluster.at("node") == "obs1");
  REQUIRE(cluster.at("members").size() == 1);
  CHECK(cluster["members"][0].at("name") == "obs1");
  CHECK(cluster["members"][0].at("state") == "up");
  CHECK(cluster["members"][0].at("port") == f.nd->port());
  CHECK(cluster["members"][0].at("http") == (*ep)->url());

  auto n = get(port, "/api/node");
  REQUIRE(n);
  auto node = nlohmann::json::parse(n->body);
  CHECK(node.at("name") == "obs1");
  CHECK(node.at("ready") == true);
  CHECK(node.at("metrics").is_array());

  auto missing = get(port, "/nothing-here");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("a client that sends nothing is disconnected after the read "
          "timeout and does not keep others from being served") {
  node_fixture f;
  http_limits limits;
  limits.threads = 2;
  limits.queue = 1;
  limits.read_timeout = 300ms;
  limits.keep_alive = 1s; // how long a silent connection is waited for
  auto ep = http_endpoint::start(*f.nd, "127.0.0.1", 0, limits);
  REQUIRE(ep);
  auto port = (*ep)->port();
  // More silent clients than threads and queue together.
  std::vector<int> idle;
  for (int i = 0; i < 6; ++i) {
    int fd = connect_to(port);
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  auto start = std::chrono::steady_clock::now();
  auto res = get(port, "/healthz", 10);
  REQUIRE(res);
  CHECK(res->status == 200);
  // Six silent clients, two threads and the accepting one, 1 s each: about
  // 2 s; without the timeouts the request would wait forever.
  CHECK(std::chrono::steady_clock::now() - start < 8s);
  for (int fd : idle) {
    auto [bytes, closed] = read_all(fd, 5s);
    CHECK(closed);
    close(fd);
  }
}

TEST_CASE("a request line or header over 8 KiB, or a body over max_body, is "
          "refused without being read further") {
  node_fixture f;
  http_limits limits;
  limits.max_body = 1024;
  auto ep = http_endpoint::start(*f.nd, "127.0.0.1", 0, limits);
  REQUIRE(ep);
  auto port = (*ep)->port();
  auto status_of = [&](const std::string& request) {
    int fd = connect_to(port);
    REQUIRE(fd >= 0);
    send_all(fd, request);
    auto [bytes, closed] = read_all(fd, 5s);
    close(fd);
    return bytes.substr(0, bytes.find("\r\n"));
  };
  CHECK(status_of("GET /" + std::string(9000, 'a')
                  + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        == "HTTP/1.1 414 URI Too Long");
  auto long_header
      = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
        + std::string(9000, 'b') + "\r\n\r\n";
  CHECK(status_of(long_header).rfind("HTTP/1.1 4", 0) == 0);
  CHECK(status_of("POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: "
                  "close\r\nContent-Length: "
                  "100000\r\n\r\n")
        == "HTTP/1.1 413 Payload Too Large");
  // The endpoint still serves.
  auto res = get(port, "/healthz");
  CHECK(res);
}
