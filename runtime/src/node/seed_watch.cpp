#include "node/seed_watch.hpp"

#include <algorithm>

#include "core/blocking_ask.hpp"
#include "node/agent_protocol.hpp"
#include "node/dns_resolver.hpp"
#include "node/link_layer.hpp"
#include "troupe/atoms.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

seed_watch::seed_watch(caf::actor_system& sys, link_layer& link,
                       caf::actor agent, member_info me,
                       seed_join_settings settings)
    : sys_(sys), link_(link), agent_(std::move(agent)), me_(std::move(me)),
      settings_(std::move(settings)) {
  thread_ = std::thread{[this] { run(); }};
}

seed_watch::~seed_watch() {
  stop();
}

void seed_watch::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  agent_ = nullptr;
}

void seed_watch::run() {
  auto resolver = dns_resolver::make(
      settings_.dns_server,
      std::chrono::duration_cast<std::chrono::milliseconds>(
          settings_.dns_timeout));
  if (!resolver)
    return; // the join made one with the same settings: cannot happen
  for (;;) {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      // A timer, not a synchronization: the records are polled.
      if (cv_.wait_for(guard, settings_.refresh, [this] { return stopping_; }))
        return;
    }
    refresh_once(**resolver);
  }
}

void seed_watch::refresh_once(dns_resolver& resolver) {
  auto view = blocking_ask<std::vector<member_info>>(
      sys_, agent_, settings_.request_timeout, members_atom::value);
  if (!view)
    return; // stopping, or the agent is busy: next time
  own_address is_self{me_};
  for (auto& seed : settings_.seeds) {
    if (!seed.discovered())
      continue;
    for (auto& ep : resolver.resolve(seed).endpoints) {
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (stopping_)
          return;
      }
      auto member = std::any_of(view->begin(), view->end(), [&](auto& m) {
        return m.port == ep.port && m.host == ep.host
               && m.state != member_state::down
               && m.state != member_state::removed;
      });
      auto text = ep.to_string();
      if (member || is_self(ep.host, ep.port)
          || std::find(reported_.begin(), reported_.end(), text)
                 != reported_.end())
        continue;
      auto other = link_.connect(ep.host, ep.port, settings_.request_timeout);
      if (!other)
        continue; // not up (yet): it joins by itself when it is
      auto theirs = blocking_ask<std::vector<member_info>>(
          sys_, *other, settings_.request_timeout, members_atom::value);
      if (!theirs || theirs->size() < 2)
        continue; // starting: it joins by itself
      auto has_me = std::any_of(theirs->begin(), theirs->end(),
                                [&](auto& m) { return m.name == me_.name; });
      if (has_me)
        continue; // joining or just joined: gossip tells this node soon
      if (reported_.size() < 256)
        reported_.push_back(text);
      log::warning("node", text + " (from " + seed.text
                               + ") is a node of "
                                 "another cluster of "
                               + std::to_string(theirs->size())
                               + " members: the cluster is split; restart the "
                                 "nodes of one of them so that they join the "
                                 "other");
    }
  }
}

} // namespace troupe::detail
