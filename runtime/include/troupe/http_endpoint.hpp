#pragma once
// A node's HTTP endpoint (--troupe.http HOST:PORT, off by default), for
// Prometheus, orchestrators and people:
//   GET /             the dashboard: one page, no external files (see
//                     runtime/src/observe/dashboard.hpp)
//   GET /metrics      every metric of this process (troupe/metrics.hpp) in
//                     the Prometheus text format, plus the membership
//                     (troupe_members{state}, troupe_member_backlog{member})
//   GET /api/node     this node as JSON: name, address, readiness, its
//                     counters and gauges, restarts per supervisor
//   GET /api/cluster  this node's view of the membership as JSON
//   GET /healthz      200 while the node agent answers, 503 otherwise
//   GET /readyz       200 once this node is an `up` member, 503 before
//
// The endpoint never waits for the actor system: a watcher actor asks the
// agent for its view every `refresh` and the handlers read the last
// answer (so /api/cluster may be up to one refresh old; what is lost is
// only freshness). A client cannot make the node spend without bound:
// `threads` requests are served at once, `queue` more wait, and beyond
// that the accepting thread serves one itself, so further connections
// wait in the kernel's listen backlog; every read and write times out;
// request lines and headers are capped at 8 KiB (cpp-httplib's limits) and
// bodies at `max_body`; a connection serves at most `max_requests`.
// What a trickling client can still do: hold one worker for up to one
// read timeout per byte of its (at most 8 KiB) header; with every worker
// held so, the endpoint answers late, while the node itself runs on.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "troupe/config.hpp"
#include "troupe/node.hpp"

namespace troupe {

/// What one HTTP client may make a node spend.
struct http_limits {
  size_t threads = 4; ///< requests served at once
  size_t queue = 16;  ///< accepted connections waiting for a thread
  std::chrono::milliseconds read_timeout{2000};  ///< per read from a client
  std::chrono::milliseconds write_timeout{2000}; ///< per write to a client
  /// How long a connection may stay silent before (and between) requests;
  /// rounded up to whole seconds (cpp-httplib's unit), at least 1 s.
  std::chrono::milliseconds keep_alive{2000};
  size_t max_requests = 100; ///< requests on one connection
  size_t max_body = 4096;    ///< bytes of a request body (all routes are GET)
  /// How often the membership view is refreshed from the agent.
  std::chrono::milliseconds refresh{500};
};

/// The HTTP endpoint of one node; stops (and joins its threads) when
/// destroyed, which must happen before the node is.
class http_endpoint {
public:
  /// Serves `n` on `host:port` (port 0: any free port).
  /// errc::invalid_config if the address cannot be bound.
  static caf::expected<std::unique_ptr<http_endpoint>>
  start(node& n, const std::string& host, uint16_t port,
        http_limits limits = {});

  /// Serves `n` on the address of --troupe.http; a null pointer (not an
  /// error) when that option is not set.
  static caf::expected<std::unique_ptr<http_endpoint>> start(node& n,
                                                             const config& cfg);

  ~http_endpoint();

  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  const std::string& host() const noexcept;
  /// The bound port.
  uint16_t port() const noexcept;
  /// "http://HOST:PORT/".
  std::string url() const;

  struct impl;

private:
  explicit http_endpoint(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace troupe
