#pragma once
// The JSON documents of /api/node and /api/cluster, from snapshots only.

#include <string>

#include "observe/cluster_watch.hpp"

namespace troupe::observe {

struct node_identity {
  std::string name;
  std::string host;
  uint16_t port = 0;
};

/// /api/cluster: {"node", "view_age_ms", "members": [{name, host, port,
/// http (its endpoint's URL, or null while unknown), state, role,
/// incarnation, connected, actors, backlog, uptime_ms}]}.
std::string cluster_json(const node_identity& me, const view_snapshot& view);

/// /api/node: {"name", "address", "ready", "healthy", "supervisors":
/// {name: {"restarts", "escalations"}}, "named": [{name, messages}] (most
/// messages first, at most 20), "metrics": [{name, labels, value}]}.
std::string node_json(const node_identity& me, const cluster_watch& watch);

} // namespace troupe::observe
