#pragma once
// The membership as the HTTP endpoint shows it: a watcher actor asks the
// node agent for its view every `refresh` (a request bounded by `refresh`)
// and keeps the last answer here, so HTTP threads read a snapshot and
// never wait for an actor. It also counts member events
// (troupe_member_events_total{event}) and reports the view to /metrics
// through a metrics collector (troupe_members{state},
// troupe_member_backlog{member}, troupe_member_actors{member}).
//
// The watcher is also how members find each other's HTTP endpoints: it
// joins the process group `http_group` and answers (http_url_atom) with
// (node name, URL); every few refreshes it asks the group's members, so
// /api/cluster can give each member's URL (what `troupe top` follows).
// Only the agent's events and its own timer are taken from local senders.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "troupe/member.hpp"
#include "troupe/node.hpp"

namespace troupe::observe {

/// The process group of every node's HTTP endpoint watcher.
inline constexpr const char* http_group = "troupe.http";

struct view_snapshot {
  std::vector<member_info> members; ///< this node first, as the agent answers
  /// HTTP endpoint URL by member name, as far as learned.
  std::map<std::string, std::string> http;
  std::chrono::steady_clock::time_point updated{};
  bool valid = false; ///< false until the agent answered once
};

class cluster_watch {
public:
  /// `url` is this node's endpoint, announced to the other members.
  cluster_watch(node& n, std::string url, std::chrono::milliseconds refresh);
  ~cluster_watch();

  cluster_watch(const cluster_watch&) = delete;
  cluster_watch& operator=(const cluster_watch&) = delete;

  view_snapshot get() const;
  /// This node is in its own view as an `up` member.
  bool ready() const;
  /// The agent answered within the last three refreshes.
  bool healthy() const;

  struct shared;

private:
  std::shared_ptr<shared> shared_;
  caf::actor watcher_;
  uint64_t collector_ = 0;
  std::chrono::milliseconds refresh_;
};

} // namespace troupe::observe
