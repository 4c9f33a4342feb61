#include "node/seed_join.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <set>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "core/blocking_ask.hpp"
#include "node/agent_protocol.hpp"
#include "node/dns_resolver.hpp"
#include "node/link_layer.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> local_addresses() {
  std::vector<std::string> result;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0)
    return result;
  for (auto* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr)
      continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr,
                text, sizeof(text));
    else if (i->ifa_addr->sa_family == AF_INET6)
      inet_ntop(AF_INET6,
                &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text,
                sizeof(text));
    if (text[0] != '\0')
      result.emplace_back(text);
  }
  freeifaddrs(list);
  return result;
}

} // namespace

own_address::own_address(const member_info& me)
    : host_(me.host), port_(me.port) {
  // A node that listens on 0.0.0.0 or :: is at every address of this host.
  if (host_ == "0.0.0.0" || host_ == "::" || host_.empty())
    local_ = local_addresses();
}

bool own_address::operator()(const std::string& host, uint16_t port) const {
  if (port != port_)
    return false;
  return host == host_ || host == "localhost"
         || std::find(local_.begin(), local_.end(), host) != local_.end();
}

std::string seed_cause(const caf::error& err) {
  if (err.category() == errc_category
      && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return render(err);
}

namespace {

/// A seed to try this round.
struct target {
  seed_endpoint at;
  std::string origin; ///< the --troupe.seeds entry it came from
  bool discovered = false;
};

} // namespace

caf::error join_through_seeds(caf::actor_system& sys, link_layer& link,
                              const caf::actor& agent, const member_info& me,
                              const seed_join_settings& settings) {
  auto deadline = clock_type::now() + settings.join_timeout;
  bool any_discovered
      = std::any_of(settings.seeds.begin(), settings.seeds.end(),
                    [](auto& s) { return s.discovered(); });
  std::unique_ptr<dns_resolver> resolver;
  if (any_discovered) {
    auto r = dns_resolver::make(
        settings.dns_server,
        std::chrono::duration_cast<std::chrono::milliseconds>(
            settings.dns_timeout));
    if (!r)
      return r.error();
    resolver = std::move(*r);
  }
  own_address is_self{me};
  caf::error last_error;
  // What each discovered entry resolved to last, for the final error.
  std::vector<std::string> resolved_text(settings.seeds.size());
  // Each distinct cause is logged once (a bounded set: a hostile resolver
  // cannot make it grow without end).
  std::set<std::string> logged;
  caf::scoped_actor self{sys};
  for (int attempt = 1; clock_type::now() < deadline; ++attempt) {
    if (any_discovered) {
      // A node that joined this one (it is the lowest address) made it a
      // cluster: this node formed it.
      auto view = blocking_ask<std::vector<member_info>>(
          sys, agent, settings.request_timeout, members_atom::value);
      if (view && view->size() > 1) {
        log::info("node",
                  "formed the cluster: " + std::to_string(view->size() - 1)
                      + " node(s) joined it through this one");
        return caf::none;
      }
    }
    std::vector<target> targets;
    std::vector<seed_endpoint> found; // every discovered endpoint, self too
    for (size_t i = 0; i < settings.seeds.size(); ++i) {
      auto& seed = settings.seeds[i];
      if (!seed.discovered()) {
        if (!is_self(seed.host, seed.port))
          targets.push_back({{seed.host, seed.port}, seed.text, false});
        continue;
      }
      auto res = resolver->resolve(seed);
      if (res.endpoints.empty()) {
        resolved_text[i]
            = seed.text + " resolved to nothing (" + res.cause + ")";
        last_error = make_error(errc::node_down, resolved_text[i]);
        continue;
      }
      resolved_text[i] = seed.text + " resolved to ";
      for (size_t k = 0; k < res.endpoints.size(); ++k)
        resolved_text[i] += (k ? ", " : "") + res.endpoints[k].to_string();
      for (auto& ep : res.endpoints) {
        if (found.size() >= dns_resolver::max_addresses)
          break;
        if (std::find(found.begin(), found.end(), ep) != found.end())
          continue;
        found.push_back(ep);
        if (!is_self(ep.host, ep.port))
          targets.push_back({ep, seed.text, true});
      }
    }
    std::sort(found.begin(), found.end(), address_less);
    bool lowest_is_me
        = !found.empty() && is_self(found.front().host, found.front().port);
    // Literal seeds first, then the discovered ones from the lowest
    // address: the lowest is the one the others join.
    std::stable_sort(targets.begin(), targets.end(),
                     [](const target& x, const target& y) {
                       if (x.discovered != y.discovered)
                         return !x.discovered;
                       return x.discovered && address_less(x.at, y.at);
                     });
    for (auto& t : targets) {
      auto name
          = t.at.to_string() + (t.discovered ? " (from " + t.origin + ")" : "");
      auto seed_agent
          = link.connect(t.at.host, t.at.port, settings.request_timeout);
      if (!seed_agent) {
        last_error
            = make_error(errc::node_down, "seed " + name + ": "
                                              + seed_cause(seed_agent.error()));
        continue;
      }
      if (t.discovered && !(found.front() == t.at)) {
        // Not the lowest address: join through it only if it is already in
        // a cluster (it may be starting as this node is, and two nodes that
        // join each other would form a second cluster).
        auto view = blocking_ask<std::vector<member_info>>(
            sys, *seed_agent, settings.request_timeout, members_atom::value);
        if (!view) {
          last_error
              = make_error(errc::node_down,
                           "seed " + name + ": " + seed_cause(view.error()));
          continue;
        }
        auto me_there = std::any_of(view->begin(), view->end(), [&](auto& m) {
          return m.name == me.name && m.incarnation == me.incarnation;
        });
        if (me_there) {
          // This node sent no join that succeeded: the others joined it.
          log::info("node", "formed the cluster: " + name
                                + " joined it through this node");
          return caf::none;
        }
        if (view->size() < 2) {
          last_error = make_error(errc::node_down,
                                  "seed " + name
                                      + " is not in a cluster yet, "
                                        "and "
                                      + found.front().to_string()
                                      + " (the lowest address) did not answer");
          continue;
        }
      }
      bool joined = false;
      self->request(*seed_agent, settings.request_timeout, join_atom::value, me,
                    settings.type_set_id, settings.type_names)
          .receive(
              [&](std::vector<member_info>& view) {
                joined = true;
                self->send(agent, gossip_atom::value, std::move(view));
              },
              [&](caf::error& err) { last_error = std::move(err); });
      if (joined) {
        log::info("node", "joined the cluster through seed " + name);
        return caf::none;
      }
      if (last_error == errc::type_set_mismatch
          || last_error == errc::name_taken)
        return last_error; // retrying cannot help
    }
    if (lowest_is_me) {
      // No member answered and this node has the lowest address of all
      // resolved: the others join through it.
      std::string set;
      for (auto& ep : found)
        set += (set.empty() ? "" : ", ") + ep.to_string();
      log::info("node", "no member answered; forming a new cluster as the "
                        "lowest address of "
                            + set);
      return caf::none;
    }
    auto cause = seed_cause(last_error);
    if (logged.size() < 64 && logged.insert(cause).second)
      log::info("node", "no seed answered (round " + std::to_string(attempt)
                            + "): " + cause + "; retrying until the "
                            + "join timeout (troupe.join-timeout)");
    // Seeds may still be starting: back off before the next round, never
    // longer than troupe.seeds-refresh.
    std::this_thread::sleep_for(std::min<caf::timespan>(
        {std::chrono::milliseconds(100 * std::min(attempt, 50)),
         settings.refresh,
         std::max<caf::timespan>(deadline - clock_type::now(),
                                 caf::timespan{0})}));
  }
  auto last = seed_cause(last_error);
  std::string resolved;
  for (auto& text : resolved_text)
    if (!text.empty() && text != last)
      resolved += "; " + text;
  auto secs
      = std::chrono::duration_cast<std::chrono::seconds>(settings.join_timeout);
  return make_error(errc::node_down,
                    "could not join through any seed within "
                        + std::to_string(secs.count()) + " s: " + last
                        + resolved
                        + "; check --troupe.seeds and that a node runs there");
}

} // namespace troupe::detail
