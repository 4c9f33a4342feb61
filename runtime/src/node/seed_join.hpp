#pragma once
// The join at a node's start: through the seeds of --troupe.seeds, literal
// or discovered through DNS (dns:, srv:). With discovered seeds and no
// member answering, the nodes that start together agree on who forms the
// cluster: the one whose own address is the lowest of the resolved set
// (after Akka Management's Cluster Bootstrap). The others join only
// through it, or through a node that is already in a cluster, so that
// nodes started at once never form two clusters.

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "node/seed_list.hpp"
#include "troupe/member.hpp"

namespace troupe::detail {

class link_layer;

/// Everything the join needs from the node being started.
struct seed_join_settings {
  std::vector<seed_entry> seeds;
  caf::timespan join_timeout = std::chrono::seconds(15);
  caf::timespan dns_timeout = std::chrono::seconds(2);
  /// Longest pause between two rounds (each round re-resolves the names).
  caf::timespan refresh = std::chrono::seconds(5);
  /// "HOST:PORT" of the DNS server, or empty for resolv.conf.
  std::string dns_server;
  uint64_t type_set_id = 0;
  std::vector<std::string> type_names;
  caf::timespan request_timeout = std::chrono::seconds(5);
};

/// Whether an address is this node's own: its listen address, or any
/// address of this host when it listens on 0.0.0.0 or ::.
class own_address {
public:
  explicit own_address(const member_info& me);
  bool operator()(const std::string& host, uint16_t port) const;

private:
  std::string host_;
  uint16_t port_;
  std::vector<std::string> local_;
};

/// The context of a troupe error without its advice, or the whole
/// rendering of any other error.
std::string seed_cause(const caf::error& err);

/// Joins the cluster (or, as the lowest discovered address, forms it);
/// an error says which seeds were tried and what the names resolved to.
caf::error join_through_seeds(caf::actor_system& sys, link_layer& link,
                              const caf::actor& agent, const member_info& me,
                              const seed_join_settings& settings);

} // namespace troupe::detail
