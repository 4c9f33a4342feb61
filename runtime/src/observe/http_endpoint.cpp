#include "troupe/http_endpoint.hpp"

#include <thread>

#include <caf/settings.hpp>
#include <httplib.h>

#include "observe/bounded_task_queue.hpp"
#include "observe/cluster_watch.hpp"
#include "observe/dashboard.hpp"
#include "observe/json_views.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"

namespace troupe {

struct http_endpoint::impl {
  observe::node_identity me;
  std::string host;
  uint16_t port = 0;
  std::unique_ptr<observe::cluster_watch> watch;
  httplib::Server server;
  std::thread thread;
  metrics::counter* requests = nullptr;
};

namespace {

constexpr const char* json_type = "application/json";

template <class Rep, class Period>
std::pair<time_t, time_t> sec_usec(std::chrono::duration<Rep, Period> d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return {static_cast<time_t>(us / 1'000'000),
          static_cast<time_t>(us % 1'000'000)};
}

void routes(http_endpoint::impl& st) {
  auto& svr = st.server;
  // The dashboard of one node reads the others' APIs (and another node's
  // page reads this one when its own node is gone): the JSON is readable
  // from any origin. It is read-only and what /metrics shows anyway.
  svr.set_post_routing_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (req.path.rfind("/api/", 0) == 0)
          res.set_header("Access-Control-Allow-Origin", "*");
      });
  svr.Get("/", [&st](const httplib::Request&, httplib::Response& res) {
    st.requests->add();
    auto page = observe::dashboard_html();
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });
  svr.Get("/metrics", [&st](const httplib::Request&, httplib::Response& res) {
    st.requests->add();
    res.set_content(metrics::render_prometheus(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/api/node", [&st](const httplib::Request&, httplib::Response& res) {
    st.requests->add();
    res.set_content(observe::node_json(st.me, *st.watch), json_type);
  });
  svr.Get("/api/cluster", [&st](const httplib::Request&,
                                httplib::Response& res) {
    st.requests->add();
    res.set_content(observe::cluster_json(st.me, st.watch->get()), json_type);
  });
  svr.Get("/healthz", [&st](const httplib::Request&, httplib::Response& res) {
    st.requests->add();
    auto ok = st.watch->healthy();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "the node agent does not answer\n",
                    "text/plain");
  });
  svr.Get("/readyz", [&st](const httplib::Request&, httplib::Response& res) {
    st.requests->add();
    auto ok = st.watch->ready();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ready\n" : "not an up member of the cluster yet\n",
                    "text/plain");
  });
}

} // namespace

http_endpoint::http_endpoint(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_endpoint::~http_endpoint() {
  impl_->server.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

const std::string& http_endpoint::host() const noexcept {
  return impl_->host;
}

uint16_t http_endpoint::port() const noexcept {
  return impl_->port;
}

std::string http_endpoint::url() const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port) + "/";
}

caf::expected<std::unique_ptr<http_endpoint>>
http_endpoint::start(node& n, const std::string& host, uint16_t port,
                     http_limits limits) {
  auto st = std::make_unique<impl>();
  st->me = observe::node_identity{n.name(), n.host(), n.port()};
  st->host = host;
  st->requests = &metrics::get_counter("troupe_http_requests_total",
                                       "requests the HTTP endpoint answered");
  auto& svr = st->server;
  auto threads = std::max<size_t>(limits.threads, 1);
  svr.new_task_queue = [threads, q = limits.queue] {
    return new observe::bounded_task_queue(threads, q);
  };
  auto [rs, ru] = sec_usec(limits.read_timeout);
  svr.set_read_timeout(rs, ru);
  auto [ws, wu] = sec_usec(limits.write_timeout);
  svr.set_write_timeout(ws, wu);
  auto keep_alive_s = (limits.keep_alive.count() + 999) / 1000;
  svr.set_keep_alive_timeout(
      std::max<time_t>(1, static_cast<time_t>(keep_alive_s)));
  svr.set_keep_alive_max_count(limits.max_requests);
  svr.set_payload_max_length(limits.max_body);
  int bound = port == 0 ? svr.bind_to_any_port(host)
                        : (svr.bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    return make_error(errc::invalid_config,
                      "--troupe.http: cannot listen on " + host + ":"
                          + std::to_string(port)
                          + "; pick a free port, or port 0 for any");
  st->port = static_cast<uint16_t>(bound);
  st->watch = std::make_unique<observe::cluster_watch>(
      n, "http://" + host + ":" + std::to_string(st->port) + "/",
      limits.refresh);
  routes(*st);
  st->thread = std::thread([s = st.get()] {
    if (!s->server.listen_after_bind())
      log::warning("http", "the HTTP endpoint stopped accepting");
  });
  // Server::stop does nothing before the accept loop runs, so the
  // destructor could not end it: wait (bounded) until it does.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!svr.is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!svr.is_running()) {
    // It cannot be stopped either: leave the thread to the process.
    st->thread.detach();
    return make_error(
        errc::invalid_config,
        "--troupe.http: the HTTP server did not start within 5 s");
  }
  log::info("http", "serving /metrics, /api/node, /api/cluster, /healthz, "
                    "/readyz on http://"
                        + host + ":" + std::to_string(st->port) + "/");
  return std::unique_ptr<http_endpoint>{new http_endpoint(std::move(st))};
}

caf::expected<std::unique_ptr<http_endpoint>>
http_endpoint::start(node& n, const config& cfg) {
  auto text = caf::get_or(content(cfg), "troupe.http", std::string{});
  if (text.empty())
    return std::unique_ptr<http_endpoint>{};
  auto addr = parse_host_port(text, "--troupe.http");
  if (!addr)
    return addr.error();
  return start(n, addr->first, addr->second);
}

} // namespace troupe
