#pragma once
// The entries of --troupe.seeds: a literal HOST:PORT, dns:NAME:PORT (every
// A/AAAA address of NAME, at PORT) or srv:NAME (the SRV records of NAME,
// e.g. _troupe._tcp.troupe.default.svc.cluster.local: target hosts and
// ports). Parsed once at start, so that a bad entry fails the start with
// the accepted forms instead of a join that can never succeed.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace troupe::detail {

/// One entry of --troupe.seeds.
struct seed_entry {
  enum kind_t { literal, dns, srv };
  kind_t kind = literal;
  /// The host of a literal entry, the name to resolve otherwise.
  std::string host;
  /// The port of a literal or dns: entry; 0 for srv: (the records say).
  uint16_t port = 0;
  /// The entry as given, for log lines and errors.
  std::string text;

  bool discovered() const {
    return kind != literal;
  }
};

/// The accepted forms, for error messages and help texts.
inline constexpr const char* seed_forms
    = "HOST:PORT, dns:NAME:PORT (every A/AAAA address of NAME) or "
      "srv:_troupe._tcp.NAME (its SRV records)";

/// Parses a comma-separated --troupe.seeds value; empty items are skipped.
caf::expected<std::vector<seed_entry>> parse_seeds(const std::string& text);

/// Parses one entry.
caf::expected<seed_entry> parse_seed(const std::string& text);

/// Parses HOST[:PORT] of --troupe.dns-server into "HOST:PORT" as c-ares
/// reads it ("[v6]:PORT" for IPv6), port 53 when none is given.
caf::expected<std::string> parse_dns_server(const std::string& text);

} // namespace troupe::detail
