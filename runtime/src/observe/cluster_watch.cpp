#include "observe/cluster_watch.hpp"

#include <array>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "troupe/cluster_agent.hpp"
#include "troupe/metrics.hpp"

namespace troupe::observe {

using tick_atom = caf::atom_constant<caf::atom("ob_tick")>;
using http_url_atom = caf::atom_constant<caf::atom("ob_httpurl")>;

/// Every how many refreshes the HTTP URLs of the members are asked again.
constexpr int url_rounds = 4;

struct cluster_watch::shared {
  mutable std::mutex mtx;
  view_snapshot snap;
  std::string self_name;
};

namespace {

void ask_urls(caf::event_based_actor* self, const caf::actor& agent,
              const std::shared_ptr<cluster_watch::shared>& sh,
              std::chrono::milliseconds timeout) {
  self->request(agent, timeout, group_members_atom::value,
                std::string{http_group})
      .then(
          [=](const std::vector<caf::actor>& watchers) {
            for (auto& w : watchers)
              self->request(w, timeout, http_url_atom::value)
                  .then(
                      [=](const std::string& name, const std::string& url) {
                        std::lock_guard<std::mutex> guard{sh->mtx};
                        // Bounded as the membership is: only members' names.
                        if (sh->snap.http.size() < 4096)
                          sh->snap.http[name] = url;
                      },
                      [](caf::error&) {});
          },
          [](caf::error&) {});
}

caf::behavior watcher(caf::event_based_actor* self, caf::actor agent,
                      std::shared_ptr<cluster_watch::shared> sh,
                      std::string url, std::chrono::milliseconds refresh) {
  auto round = std::make_shared<int>(0);
  std::array<metrics::counter*, 3> events{};
  for (auto kind : {member_event::member_up, member_event::member_down,
                    member_event::member_left})
    events[kind] = &metrics::get_counter(
        "troupe_member_events_total",
        "member events this node saw (the members up when it subscribed count "
        "as member_up)",
        {{"event", to_string(kind)}});
  // From this actor, so the agent sees a local subscriber.
  self->send(agent, subscribe_atom::value, caf::actor{self});
  self->request(agent, refresh * 10, group_join_atom::value,
                std::string{http_group}, caf::actor{self})
      .then([] {}, [](caf::error&) {});
  {
    std::lock_guard<std::mutex> guard{sh->mtx};
    sh->snap.http[sh->self_name] = url;
  }
  self->send(self, tick_atom::value);
  auto from = [=](const caf::actor& who) {
    return self->current_sender()
           == caf::actor_cast<caf::strong_actor_ptr>(who);
  };
  return {
      [=](const member_event& ev) {
        if (from(agent) && ev.kind < events.size())
          events[ev.kind]->add();
      },
      [=](http_url_atom) { return caf::make_message(sh->self_name, url); },
      [=](tick_atom) {
        if (!from(caf::actor{self}))
          return; // one timer chain only, whoever else sends ticks
        if ((*round)++ % url_rounds == 0)
          ask_urls(self, agent, sh, refresh);
        self->request(agent, refresh, members_atom::value)
            .then(
                [=](std::vector<member_info>& view) {
                  std::lock_guard<std::mutex> guard{sh->mtx};
                  sh->snap.members = std::move(view);
                  sh->snap.updated = std::chrono::steady_clock::now();
                  sh->snap.valid = true;
                },
                [](caf::error&) {
                  // The view gets older; healthz says so.
                });
        self->delayed_send(self, refresh, tick_atom::value);
      },
  };
}

} // namespace

cluster_watch::cluster_watch(node& n, std::string url,
                             std::chrono::milliseconds refresh)
    : shared_(std::make_shared<shared>()), refresh_(refresh) {
  shared_->self_name = n.name();
  watcher_ = n.sys().actors().spawn(watcher, n.agent(), shared_, std::move(url),
                                    refresh);
  collector_ = metrics::add_collector([sh = shared_](auto& out) {
    std::lock_guard<std::mutex> guard{sh->mtx};
    std::array<double, 6> by_state{};
    for (auto& m : sh->snap.members) {
      auto i = static_cast<size_t>(m.state);
      if (i < by_state.size())
        by_state[i] += 1;
      metrics::labels ls{{"member", m.name}};
      out.push_back({"troupe_member_backlog",
                     "messages waiting in a member's agent, as last reported",
                     false, ls, static_cast<double>(m.backlog)});
      out.push_back({"troupe_member_actors",
                     "running actors of a member, as last reported", false, ls,
                     static_cast<double>(m.actors)});
    }
    for (size_t i = 0; i < by_state.size(); ++i)
      out.push_back({"troupe_members",
                     "members in this node's view by state",
                     false,
                     {{"state", to_string(static_cast<member_state>(i))}},
                     by_state[i]});
  });
}

cluster_watch::~cluster_watch() {
  metrics::remove_collector(collector_);
  caf::anon_send_exit(watcher_, caf::exit_reason::user_shutdown);
}

view_snapshot cluster_watch::get() const {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  return shared_->snap;
}

bool cluster_watch::ready() const {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  for (auto& m : shared_->snap.members)
    if (m.name == shared_->self_name)
      return m.state == member_state::up;
  return false;
}

bool cluster_watch::healthy() const {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  return shared_->snap.valid
         && std::chrono::steady_clock::now() - shared_->snap.updated
                < 3 * refresh_ + std::chrono::seconds(1);
}

} // namespace troupe::observe
