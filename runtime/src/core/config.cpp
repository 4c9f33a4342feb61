#include "troupe/config.hpp"

#include <algorithm>

#include <caf/config_option_adder.hpp>
#include <caf/settings.hpp>

#include "troupe/errc.hpp"
#include "troupe/stable_hash.hpp"

namespace troupe {

config::config() {
  opt_group{custom_options_, "troupe"}
    .add<std::string>("node-name", "name of this node in logs and membership "
                                   "(default: the host name and PID)")
    .add<std::string>("role", "worker (hosts actors placed by spawn_on) or "
                              "client (joins to use the cluster, hosts no "
                              "placed actors; default worker)")
    .add<std::string>("metrics",
                      "on (default) or off: off makes every metric update a "
                      "no-op, to measure their cost (per process)")
    .add<std::string>("log-level",
                      "debug, info, warning, error or quiet (default: info)")
    .add<std::string>("log-format", "text (default) or json: one JSON object "
                                    "a line (time, level, node, component, "
                                    "message)")
    .add<std::string>("http", "HOST:PORT of this node's HTTP endpoint "
                              "(/metrics, /api/node, /api/cluster, /healthz, "
                              "/readyz); port 0 picks a free one (default: "
                              "off)")
    .add<std::string>("listen", "HOST:PORT this node listens on; port 0 picks "
                                "a free one (default 127.0.0.1:0)")
    .add<std::string>("seeds", "comma-separated nodes to join through: "
                               "HOST:PORT, dns:NAME:PORT (every A/AAAA "
                               "address of NAME) or srv:_troupe._tcp.NAME "
                               "(its SRV records); with names, the lowest "
                               "address resolved forms the cluster when no "
                               "member answers (default: none, start a new "
                               "cluster)")
    .add<std::string>("dns-server", "HOST[:PORT] of the DNS server for dns: "
                                    "and srv: seeds (default: the servers of "
                                    "/etc/resolv.conf)")
    .add<caf::timespan>("dns-timeout", "how long one DNS lookup of a seed "
                                       "name may take (default 2s)")
    .add<caf::timespan>("seeds-refresh", "longest pause between two rounds "
                                         "of the join, each of which "
                                         "resolves the seed names again, "
                                         "and how often they are resolved "
                                         "after it to find a split "
                                         "(default 5s)")
    .add<caf::timespan>("heartbeat-interval",
                        "how often nodes send heartbeats (default 200ms)")
    .add<caf::timespan>("suspect-after",
                        "silence after which a node is suspected (default 1s)")
    .add<caf::timespan>("down-after", "silence after which a suspected "
                                      "node may be marked down (default 3s)")
    .add<caf::timespan>("suspect-timeout",
                        "how long a suspicion must stand unrefuted, with "
                        "probes through other nodes unanswered, before the "
                        "node is marked down (default 2s)")
    .add<int64_t>("indirect-probes", "how many other nodes probe a suspected "
                                     "node before it is marked down "
                                     "(default 3)")
    .add<caf::timespan>("join-timeout",
                        "how long to keep trying the seeds (default 15s)")
    .add<int64_t>("max-members", "most members a node keeps in its table; "
                                 "joins and gossip beyond it are refused "
                                 "(default 1024)")
    .add<caf::timespan>("tombstone-ttl", "how long a down or removed member "
                                         "stays in the table (default 10min)")
    .add<int64_t>("max-spawns-per-peer", "most live actors a node hosts for "
                                         "one member (default 10000)")
    .add<int64_t>("spawn-rate-per-peer", "most remote spawns a second from "
                                         "one member (default 1000)")
    .add<bool>("exit-on-agent-death", "end the process (code 70) when the "
                                      "node agent dies, so that its "
                                      "supervisor restarts it (default true)")
    .add<std::string>("transport", "native (troupe's own, the default) or basp "
                                   "(CAF's, to talk to plain CAF programs)")
    .add<std::string>("cookie-file", "file with the cluster secret (at least "
                                     "16 characters, mode 0600); peers must "
                                     "prove they know it")
    .add<std::string>("cookie", "the cluster secret itself (prefer "
                                "cookie-file: command lines are visible to "
                                "other users)")
    .add<std::string>("tls-cert", "this node's certificate (PEM, its common "
                                  "name is the node's name): mutual TLS "
                                  "with -key and -ca; troupe tls init makes "
                                  "them")
    .add<std::string>("tls-key", "this node's private key (PEM, mode 0600)")
    .add<std::string>("tls-ca", "the cluster's CA certificate: peers must "
                                "present a certificate it signed")
    .add<int64_t>("max-frame-size", "largest message in bytes a peer may "
                                    "send or be sent (default 8388608)")
    .add<int64_t>("max-pending-bytes", "bytes queued for one peer before "
                                       "sends to it fail (default 67108864)")
    .add<int64_t>("max-inbound-bytes", "bytes of one peer's messages that "
                                       "may wait unhandled in this node's "
                                       "mailboxes before more are dropped "
                                       "(default 67108864)")
    .add<int64_t>("max-connections", "open connections at most (default 1024)")
    .add<caf::timespan>("handshake-timeout", "time a new connection has to "
                                             "authenticate (default 5s)")
    .add<caf::timespan>("transport-spin",
                        "time the I/O thread polls before it sleeps (default "
                        "0; measured in bench/RESULTS.md)")
    .add<caf::timespan>("stop-grace",
                        "how long the system waits, when it stops, for actors "
                        "started with sys.spawn before it names and stops "
                        "them (default 1s)");
  choices("troupe.role", {"worker", "client"});
  choices("troupe.log-level", {"debug", "info", "warning", "error", "quiet"});
  choices("troupe.transport", {"native", "basp"});
  choices("scheduler.policy", {"stealing", "sharing"});
}

std::vector<std::string> config::type_names() const {
  std::vector<std::string> names;
  names.reserve(type_names_by_rtti.size());
  for (auto& kvp : type_names_by_rtti)
    names.push_back(kvp.second);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

uint64_t config::type_set_id() const {
  // Plain FNV-1a over the sorted names, one per line (the id nodes of
  // earlier versions compute too, so mixed versions still compare equal).
  uint64_t h = fnv1a("");
  for (auto& name : type_names())
    h = fnv1a("\n", fnv1a(name, h));
  return h;
}

std::string config::node_name() const {
  return caf::get_or(content, "troupe.node-name", std::string{});
}

std::string config::role() const {
  return caf::get_or(content, "troupe.role", std::string{"worker"});
}

std::string config::log_level() const {
  return caf::get_or(content, "troupe.log-level", std::string{"info"});
}

} // namespace troupe
