#include "troupe/node.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include <caf/actor_registry.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/settings.hpp>

#include "core/blocking_ask.hpp"
#include "node/agent.hpp"
#include "node/agent_protocol.hpp"
#include "node/link_layer.hpp"
#include "node/supervised_names.hpp"
#include "node/member_directory.hpp"
#include "node/seed_join.hpp"
#include "node/seed_list.hpp"
#include "node/seed_watch.hpp"
#include "node/signal_wait.hpp"
#include "node/stop_deadline.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe {

using detail::node_agent_atom;
using detail::bound_atom;
using detail::gossip_atom;
using detail::join_atom;
using detail::leave_atom;
using detail::stop_spawned_atom;

namespace {

/// The context of a troupe error without its advice (the caller adds its
/// own), or the whole rendering of any other error.
std::string cause_of(const caf::error& err) {
  if (err.category() == errc_category
      && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return render(err);
}

caf::timespan option(config& cfg, const char* key, caf::timespan fallback) {
  return caf::get_or(content(cfg), key, fallback);
}

/// Stops the agent on purpose: the exit must come from an actor of this
/// process (the agent refuses anonymous and remote exits, and its watchdog
/// ends the process when the agent ends otherwise).
void stop_agent(caf::actor_system& sys, const caf::actor& agent) {
  caf::scoped_actor self{sys};
  self->send_exit(agent, caf::exit_reason::user_shutdown);
}


} // namespace

caf::expected<std::pair<std::string, uint16_t>>
parse_host_port(const std::string& text, const std::string& option) {
  auto colon = text.rfind(':');
  char* end = nullptr;
  auto port = colon == std::string::npos
                ? 0ul
                : std::strtoul(text.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || !end || *end != '\0'
      || port > 65535)
    return make_error(errc::invalid_config,
                      option + " expects HOST:PORT (e.g. 127.0.0.1:4000), got \""
                        + text + "\"");
  return std::make_pair(text.substr(0, colon), static_cast<uint16_t>(port));
}

caf::actor local_agent(caf::actor_system& sys) {
  return sys.registry().get<caf::actor>(node_agent_atom::value);
}

config& add_node_types(config& cfg) {
  if (cfg.value_factories_by_name.count("troupe.member_info") == 0)
    cfg.add_message_type<member_info>("troupe.member_info");
  if (cfg.value_factories_by_name.count("troupe.member_event") == 0)
    cfg.add_message_type<member_event>("troupe.member_event");
  return cfg;
}

caf::expected<std::unique_ptr<node>> node::start(config& cfg) {
  using namespace std::chrono_literals;
  add_node_types(cfg);
  auto listen = caf::get_or(content(cfg), "troupe.listen",
                            std::string{"127.0.0.1:0"});
  auto addr = parse_host_port(listen, "--troupe.listen");
  if (!addr)
    return addr.error();
  detail::agent_settings settings;
  settings.heartbeat_interval = option(cfg, "troupe.heartbeat-interval", 200ms);
  settings.suspect_after = option(cfg, "troupe.suspect-after", 1s);
  settings.down_after = option(cfg, "troupe.down-after", 3s);
  settings.suspect_timeout = option(cfg, "troupe.suspect-timeout", 2s);
  auto indirect = caf::get_or(content(cfg), "troupe.indirect-probes",
                              int64_t{3});
  // A member heard from within suspect-after is defended against a third
  // party's suspicion of it.
  settings.members.contest_within = settings.suspect_after;
  settings.members.max_members = static_cast<size_t>(caf::get_or(
    content(cfg), "troupe.max-members", int64_t{1024}));
  settings.tombstone_ttl = option(cfg, "troupe.tombstone-ttl", 10min);
  settings.exit_on_agent_death
    = caf::get_or(content(cfg), "troupe.exit-on-agent-death", true);
  settings.spawns.max_per_member = static_cast<size_t>(caf::get_or(
    content(cfg), "troupe.max-spawns-per-peer", int64_t{10000}));
  settings.spawns.per_second = static_cast<double>(caf::get_or(
    content(cfg), "troupe.spawn-rate-per-peer", int64_t{1000}));
  if (settings.suspect_timeout <= caf::timespan::zero())
    return make_error(errc::invalid_config,
                      "--troupe.suspect-timeout must be positive (a "
                      "suspicion must stand a while before a node is marked "
                      "down); the default is 2s");
  if (indirect < 0 || indirect > 16)
    return make_error(errc::invalid_config,
                      "--troupe.indirect-probes expects 0 to 16 (other nodes "
                      "asked to probe a suspect), got "
                        + std::to_string(indirect));
  settings.indirect_probes = static_cast<size_t>(indirect);
  if (settings.suspect_after >= settings.down_after)
    return make_error(errc::invalid_config,
                      "--troupe.suspect-after must be shorter than "
                      "--troupe.down-after");
  if (auto err = detail::link_layer::prepare(cfg, settings.heartbeat_interval,
                                             settings.down_after))
    return err;
  // The seeds are checked before anything starts: a bad entry can never
  // join, and the error shows the accepted forms.
  auto seeds = detail::parse_seeds(
    caf::get_or(content(cfg), "troupe.seeds", std::string{}));
  if (!seeds)
    return seeds.error();
  detail::seed_join_settings join;
  if (auto server = caf::get_or(content(cfg), "troupe.dns-server", std::string{});
      !server.empty()) {
    auto parsed = detail::parse_dns_server(server);
    if (!parsed)
      return parsed.error();
    join.dns_server = std::move(*parsed);
  }
  auto role = parse_member_role(cfg.role());
  if (!role)
    return make_error(errc::invalid_config,
                      "--troupe.role expects worker or client, got \""
                        + cfg.role() + "\"");
  std::unique_ptr<node> result{new node};
  result->sys_ = std::make_unique<troupe::system>(cfg);
  auto& sys = result->sys_->actors();
  auto link = detail::link_layer::make(sys, cfg, addr->first);
  if (!link)
    return link.error();
  result->link_ = std::move(*link);
  settings.connector = result->link_->connector();
  settings.certified_name = result->link_->identities();
  settings.disconnect = result->link_->disconnector();
  result->name_ = cfg.node_name();
  if (auto proven = result->link_->own_certified_name(); !proven.empty()) {
    // With TLS the certificate names the member (issue 12).
    if (result->name_.empty()) {
      result->name_ = proven;
      log::set_node(proven);
    } else if (result->name_ != proven) {
      return make_error(errc::invalid_config,
                        "this node's certificate (--troupe.tls-cert) names "
                          + proven + ", but --troupe.node-name is "
                          + result->name_
                          + "; give the certificate made for this node");
    }
  }
  if (result->name_.empty())
    result->name_ = "node-" + std::to_string(getpid());
  member_info me;
  me.name = result->name_;
  me.host = addr->first;
  me.role = *role;
  me.incarnation = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
  settings.type_set_id = cfg.type_set_id();
  settings.type_names = cfg.type_names();
  settings.tell_type_names = result->link_->authenticated();
  settings.exported = cfg.exported_types();
  result->registry_ = std::make_shared<detail::registry_mirror>();
  settings.registry = result->registry_;
  settings.directory = std::make_shared<detail::member_directory>();
  detail::publish_directory(sys, settings.directory);
  result->agent_ = detail::spawn_agent(sys, me, settings);
  // The agent has its copy. This one would outlive a failed start's ~node,
  // and CAF's middleman actor (BASP's connector) is a detached actor the
  // system waits for: hold no handle to it here.
  settings.connector = nullptr;
  // The join carries this node's agent: the seed checks that it lives in
  // the process that asks, and its gossip tells the others which process
  // speaks for this node.
  me.agent = result->agent_;
  // Remote children of supervisors find the agent here.
  sys.registry().put(node_agent_atom::value,
                     caf::actor_cast<caf::strong_actor_ptr>(result->agent_));
  // Supervised children spec'd cluster_wide() or in_group(g).
  detail::serve_supervised_names(sys, result->agent_);
  auto bound = result->link_->listen(addr->first, addr->second,
                                     result->agent_);
  if (!bound) {
    stop_agent(sys, result->agent_);
    return make_error(errc::invalid_config,
                      "cannot listen on " + listen + ": " + render(bound.error())
                        + "; pick a free port, or port 0 for any");
  }
  result->host_ = addr->first;
  result->port_ = *bound;
  me.port = *bound;
  // Port 0 is resolved only by publish; the agent learns its real port here,
  // before anyone can have asked it for its view.
  caf::anon_send(result->agent_, bound_atom::value, me.port);
  if (seeds->empty())
    return result;
  join.join_timeout = option(cfg, "troupe.join-timeout", 15s);
  join.dns_timeout = option(cfg, "troupe.dns-timeout", 2s);
  join.refresh = option(cfg, "troupe.seeds-refresh", 5s);
  join.seeds = std::move(*seeds);
  join.type_set_id = settings.type_set_id;
  join.type_names = settings.type_names;
  join.request_timeout = node::default_timeout;
  if (auto err = detail::join_through_seeds(sys, *result->link_, result->agent_,
                                            me, join))
    return err;
  if (std::any_of(join.seeds.begin(), join.seeds.end(),
                  [](auto& s) { return s.discovered(); }))
    result->seed_watch_ = std::make_unique<detail::seed_watch>(
      sys, *result->link_, result->agent_, me, std::move(join));
  return result;
}

node::~node() {
  stop();
}

int node::run_until_signal() {
  auto sig = detail::wait_for_stop_signal();
  log::info("node", std::string{"received "}
                      + (sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
                                                                   : "no signal")
                      + "; leaving the cluster");
  if (auto err = leave())
    log::warning("node", "leave: " + render(err));
  stop();
  log::info("node", "stopped");
  return sig;
}

void node::stop() {
  if (!sys_)
    return;
  detail::stop_deadline deadline{detail::stop_limit, name_};
  seed_watch_.reset(); // it asks the agent and dials through link_
  if (!left_)
    leave(std::chrono::seconds(2));
  if (agent_) {
    sys_->actors().registry().erase(node_agent_atom::value);
    detail::stop_serving_supervised_names(sys_->actors());
    // Stop what this node hosts for others, or the system waits forever.
    detail::blocking_call(sys_->actors(), agent_, std::chrono::seconds(10),
                          stop_spawned_atom::value,
                          caf::timespan{std::chrono::seconds(3)});
    stop_agent(sys_->actors(), agent_);
  }
  // Ends every proxy of a remote actor (remote_link_unreachable), so that
  // no local actor waits for a node this one no longer talks to.
  if (link_)
    link_->stop();
  // Within the deadline: the actor system waits for every actor here (the
  // agent's handle goes first, as it would after this body).
  agent_ = nullptr;
  detail::publish_directory(sys_->actors(), nullptr);
  sys_.reset();
}

caf::expected<std::vector<member_info>> node::members(caf::timespan timeout) {
  return detail::blocking_ask<std::vector<member_info>>(sys_->actors(), agent_,
                                                        timeout,
                                                        members_atom::value);
}

void node::subscribe(const caf::actor& subscriber) {
  // With a sender of this process: the agent takes subscriptions from local
  // actors only.
  caf::scoped_actor self{sys_->actors()};
  self->send(agent_, subscribe_atom::value, subscriber);
}

caf::error node::leave(caf::timespan timeout) {
  left_ = true;
  return detail::blocking_call(sys_->actors(), agent_, timeout,
                               leave_atom::value);
}

namespace {

template <class T, class... Ts>
caf::expected<T> ask_agent(caf::actor_system& sys, const caf::actor& agent,
                           caf::timespan timeout, Ts&&... xs) {
  auto result = detail::blocking_ask<T>(sys, agent, timeout,
                                       std::forward<Ts>(xs)...);
  // A request to a node that died mid-way is a node_down.
  if (!result && result.error() == caf::sec::request_receiver_down)
    return make_error(errc::node_down, render(result.error()));
  return result;
}

} // namespace

caf::error node::register_name(const std::string& name,
                               const caf::actor& handle, caf::timespan timeout) {
  return detail::blocking_call(sys_->actors(), agent_, timeout,
                               register_atom::value, name, handle);
}

caf::error node::join_group(const std::string& group, const caf::actor& handle,
                           caf::timespan timeout) {
  return detail::blocking_call(sys_->actors(), agent_, timeout,
                               group_join_atom::value, group, handle);
}

caf::expected<std::vector<caf::actor>>
node::group_members(const std::string& group, caf::timespan timeout) {
  return ask_agent<std::vector<caf::actor>>(sys_->actors(), agent_, timeout,
                                            group_members_atom::value, group);
}

caf::expected<size_t> node::broadcast(const std::string& group,
                                      const caf::message& msg,
                                      caf::timespan timeout) {
  auto members = group_members(group, timeout);
  if (!members)
    return members.error();
  for (auto& m : *members)
    caf::anon_send(m, msg);
  return members->size();
}

caf::expected<caf::actor> node::lookup(const std::string& name) const {
  // The agent's registry as of its last change (see registry_mirror.hpp):
  // no request, so no timeout to wait for either.
  if (auto hdl = registry_->find(name))
    return std::move(*hdl);
  return make_error(errc::unknown_name,
                    "\"" + name + "\" is not registered in the cluster");
}

caf::expected<caf::actor> node::spawn_on(const std::string& node_name,
                                         const std::string& type,
                                         caf::message args,
                                         caf::timespan timeout) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  // Whatever is left of `timeout`, at least a millisecond.
  auto left = [&] {
    return std::max<caf::timespan>(deadline - clock::now(),
                                   std::chrono::milliseconds(1));
  };
  // Gossip may say the member is up before this node's own connection to it
  // is made (right after a join, under load): the agent answers once it is
  // connected, or with node_down at 9/10 of the timeout (so that its answer
  // arrives before this request times out).
  auto member = ask_agent<member_info>(sys_->actors(), agent_, left(),
                                       await_member_atom::value, node_name,
                                       caf::timespan{left() * 9 / 10});
  if (!member)
    return member.error();
  return ask_agent<caf::actor>(sys_->actors(), member->agent, left(),
                               spawn_atom::value, type, std::move(args));
}

caf::expected<caf::actor> node::spawn_on(const placement& where,
                                         const std::string& type,
                                         caf::message args,
                                         caf::timespan timeout) {
  // The node's one placement state (shared with its remote children) picks
  // among the worker members once this node is connected to all of them.
  auto candidates = ask_agent<std::vector<member_info>>(
    sys_->actors(), agent_, timeout, place_atom::value, where,
    caf::timespan{timeout / 2});
  if (!candidates)
    return candidates.error();
  if (candidates->empty())
    return make_error(errc::no_members,
                      "no worker member is up (clients host no placed actors)");
  return spawn_on(candidates->front().name, type, std::move(args), timeout);
}

caf::expected<std::vector<member_info>>
query_members(caf::actor_system& sys, const std::string& host, uint16_t port,
              caf::timespan timeout) {
  if (sys.config().value_factories_by_name.count("troupe.member_info") == 0)
    return make_error(errc::invalid_config,
                      "this actor system lacks the node types; call "
                      "troupe::add_node_types(cfg) before constructing it");
  auto* cfg = dynamic_cast<const config*>(&sys.config());
  config defaults;
  auto link = detail::link_layer::make(sys, cfg ? *cfg : defaults, "");
  if (!link)
    return link.error();
  auto agent = (*link)->connect(host, port, timeout);
  if (!agent && agent.error() == errc::not_authenticated)
    return agent.error(); // a node is there: it refused this secret
  if (!agent)
    return make_error(errc::node_down, "no troupe node at " + host + ":"
                                         + std::to_string(port) + ": "
                                         + cause_of(agent.error()));
  return detail::blocking_ask<std::vector<member_info>>(sys, *agent, timeout,
                                                        members_atom::value);
}

std::string to_string(member_state x) {
  static constexpr const char* names[] = {"joining", "up",      "suspect",
                                          "down",    "leaving", "removed"};
  auto i = static_cast<size_t>(x);
  return i < 6 ? names[i] : "?";
}

std::string to_string(member_role x) {
  switch (x) {
    case member_role::worker:
      return "worker";
    case member_role::client:
      return "client";
  }
  return "?";
}

std::optional<member_role> parse_member_role(const std::string& text) {
  if (text == "worker")
    return member_role::worker;
  if (text == "client")
    return member_role::client;
  return std::nullopt;
}

std::string to_string(member_event::kind_t x) {
  switch (x) {
    case member_event::member_up:
      return "up";
    case member_event::member_down:
      return "down";
    case member_event::member_left:
      return "left";
  }
  return "?";
}

} // namespace troupe
