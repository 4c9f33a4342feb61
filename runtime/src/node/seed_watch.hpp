#pragma once
// After the join: the dns: and srv: seeds resolved again every
// troupe.seeds-refresh, so that a node sees what the records say from now
// on. A new pod joins by itself (through the same names); what this node
// can tell is an address of the records that answers as a node of another
// cluster: a split, which it reports (once per address) so that an
// operator restarts one side. It changes no membership.

#include <condition_variable>
#include <mutex>
#include <thread>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "node/seed_join.hpp"

namespace troupe::detail {

class dns_resolver;

class seed_watch {
public:
  /// Starts watching (a thread of its own: lookups block for up to
  /// troupe.dns-timeout). `link` and `sys` must outlive stop().
  seed_watch(caf::actor_system& sys, link_layer& link, caf::actor agent,
             member_info me, seed_join_settings settings);
  ~seed_watch();

  seed_watch(const seed_watch&) = delete;
  seed_watch& operator=(const seed_watch&) = delete;

  /// Ends the watch; waits for a lookup under way (bounded by its timeout).
  void stop();

private:
  void run();
  /// One refresh: resolve, compare with the members, report a split.
  void refresh_once(dns_resolver& resolver);

  caf::actor_system& sys_;
  link_layer& link_;
  caf::actor agent_;
  member_info me_;
  seed_join_settings settings_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::string> reported_;
  std::thread thread_;
};

} // namespace troupe::detail
