#pragma once
// What a supervisor asks of the cluster for its children, when a
// troupe::node runs in the process: the stable name of a child spec'd
// `.cluster_wide()` goes into the cluster registry, and a child's
// `.in_group(g)` joins process group g. Both use the child's forwarder (the
// handle behind its stable name), which outlives every incarnation of the
// child: one registration stands for all of them, and a caller's handle
// never goes stale across restarts. The supervision layer cannot see the
// node layer above it; the node installs the publisher when it starts, and
// requests made before then wait for it. Internal to troupe.

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace troupe::detail::cluster_names {

/// One thing to publish.
struct request {
  enum kind_t { register_name, join_group };
  kind_t kind;
  /// The name, or the group.
  std::string key;
  /// The forwarder of the child's stable name.
  caf::actor handle;
  /// The supervisor and child, for the log if the cluster refuses.
  std::string who;
};

using publisher = std::function<void(request)>;

/// Hands `req` to the publisher of `sys`, or keeps it until one is set.
void publish(caf::actor_system& sys, request req);

/// Sets the publisher of `sys` (a starting node) and hands it what waited.
void set_publisher(caf::actor_system& sys, publisher fn);

/// Removes the publisher of `sys` (a stopping node); later requests wait
/// for the next one, or are dropped with the system.
void clear_publisher(caf::actor_system& sys);

} // namespace troupe::detail::cluster_names
