#pragma once
// Resolves the dns: and srv: entries of --troupe.seeds with c-ares (blocking,
// bounded by troupe.dns-timeout): the node's join loop is blocking anyway,
// and a resolver of its own keeps the system's getaddrinfo (and its
// unbounded waits) out of it. Every answer comes from the network and is
// capped: at most max_addresses endpoints, SRV targets with port 0 ignored.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "node/seed_list.hpp"

namespace troupe::detail {

/// A resolved seed: a numeric address and a port.
struct seed_endpoint {
  std::string host; ///< numeric, e.g. "10.0.0.1" or "fd00::1"
  uint16_t port = 0;

  std::string to_string() const;
  friend bool operator==(const seed_endpoint&, const seed_endpoint&) = default;
};

/// Orders endpoints by address (IPv4 before IPv6, then bytes), then port:
/// the order in which the lowest one forms a new cluster.
bool address_less(const seed_endpoint& x, const seed_endpoint& y);

/// What one entry resolved to: endpoints, or why none.
struct seed_resolution {
  std::vector<seed_endpoint> endpoints;
  /// Empty on success, else the resolver's reason ("Domain name not found").
  std::string cause;
};

class dns_resolver {
public:
  /// Most endpoints one entry yields; more records are ignored.
  static constexpr size_t max_addresses = 64;

  /// `server`: "HOST:PORT" (parse_dns_server) or empty for resolv.conf.
  static caf::expected<std::unique_ptr<dns_resolver>>
  make(const std::string& server, std::chrono::milliseconds timeout);

  ~dns_resolver();
  dns_resolver(const dns_resolver&) = delete;
  dns_resolver& operator=(const dns_resolver&) = delete;

  /// Resolves a dns: or srv: entry (a literal one is returned as it is).
  seed_resolution resolve(const seed_entry& entry);

private:
  struct impl;
  explicit dns_resolver(std::unique_ptr<impl> x);
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::detail
