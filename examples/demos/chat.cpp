// `troupe demo chat`: chat rooms across the cluster. Rooms are pub/sub
// topics (actors/pubsub/cluster_broker.hpp); users are actors placed on the
// worker nodes round-robin, each joins some rooms through its own node's
// broker and posts numbered messages to them. Halfway through, a late user
// joins from one of the nodes while messages flow. Every user counts what
// it received per room and sender; the summary checks that every user got
// every message of its rooms exactly once and in each sender's order, and
// that the late user got a gap-free tail of every sender's messages, all of
// them from the moment its subscription was confirmed (exit code 1 if not).

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/chat_roster.hpp"
#include "demos/chat_user.hpp"
#include "demos/chat_verdict.hpp"
#include "demos/demo_registry.hpp"
#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"

namespace {

using namespace std::chrono_literals;
namespace chat = troupe::demos::chat;
using troupe::demo::demo_cluster;
using troupe::demo::progress_line;
using chat::user_info;
using chat::join;
using chat::room_name;
using chat::user_name;
using clock_type = std::chrono::steady_clock;

/// Bound of one request to a user (join, report).
constexpr auto call_timeout = std::chrono::seconds(30);

struct options {
  uint64_t users = 12;
  uint64_t rooms = 3;
  uint64_t rooms_per_user = 2;
  uint64_t messages = 1000; ///< per user and room
  uint64_t rate = 400;      ///< posts per second per user
  bool late = true;
  int leave_node = 0; ///< SIGTERM worker node N (1-based) halfway; 0: none
  double timeout = 60;
  troupe::demo::demo_cluster_options cluster
    = troupe::demo::demo_cluster_options::of("chat", 3);
};

constexpr const char* description =
  "Chat rooms are pub/sub topics across the cluster; users on the worker "
  "nodes join rooms and post numbered messages. The summary checks that "
  "every user got every message of its rooms exactly once and in each "
  "sender's order (exit code 1 if not).";

/// The run: cluster, users (chat_roster.hpp), and the checks.
struct chat_run : chat::roster {
  options opt;
  std::unique_ptr<demo_cluster> dc;
  progress_line line;
  clock_type::time_point start;
  size_t workers = 0;
  size_t min_confirmed = ~size_t{0};
  std::string left_node; ///< the worker that was made to leave, if any

  double elapsed() const {
    return std::chrono::duration<double>(clock_type::now() - start).count();
  }

  /// The worker that hosts `handle`: the one whose agent shares its node.
  std::string node_of(const caf::actor& handle) {
    for (auto& m : dc->workers())
      if (m.agent && m.agent.node() == handle.node())
        return m.name;
    return "?";
  }

  /// Waits until every worker sees every member up and connected: a node
  /// confirms a subscription with the members it knows, so one that has
  /// not heard of another yet would miss its first messages.
  bool await_converged() {
    auto deadline = clock_type::now() + std::chrono::seconds(30);
    for (;;) {
      auto expected = dc->client().members();
      bool converged = static_cast<bool>(expected);
      caf::scoped_actor self{dc->sys().actors()};
      for (auto& w : dc->workers()) {
        if (!converged)
          break;
        troupe::cluster_api::members(self.ptr(), w.agent, std::chrono::seconds(2))
          .receive(
            [&](std::vector<troupe::member_info>& xs) {
              converged = xs.size() == expected->size()
                          && std::all_of(xs.begin(), xs.end(), [](auto& m) {
                               return m.state == troupe::member_state::up
                                      && m.agent;
                             });
            },
            [&](caf::error&) { converged = false; });
      }
      if (converged)
        return true;
      if (clock_type::now() >= deadline)
        return false;
      // Membership spreads by gossip in the worker processes: look again.
      std::this_thread::sleep_for(50ms);
    }
  }

  /// Places a user on a worker and joins its rooms; false on error.
  bool add_user(user_info& u) {
    auto h = dc->client().spawn_on(troupe::placement::round_robin, "chat-user",
                                   caf::make_message(u.name));
    if (!h) {
      std::cerr << "error: cannot place user " << u.name << ": "
                << troupe::render(h.error()) << "\n";
      return false;
    }
    u.handle = *h;
    u.node = node_of(u.handle);
    caf::scoped_actor self{dc->sys().actors()};
    for (auto& room : u.rooms) {
      bool ok = false;
      self->request(u.handle, call_timeout, chat::join_atom::value, room)
        .receive(
          [&](size_t confirmed) {
            ok = true;
            min_confirmed = std::min(min_confirmed, confirmed);
          },
          [&](caf::error& err) {
            std::cerr << "error: " << u.name << " cannot join " << room << ": "
                      << troupe::render(err) << "\n";
          });
      if (!ok)
        return false;
    }
    return true;
  }

  /// Every user's counters. A user that does not answer in time keeps its
  /// last; one whose actor ended (with its node) is marked lost and no
  /// longer asked.
  void poll() {
    caf::scoped_actor self{dc->sys().actors()};
    auto ask = [&](user_info& u) {
      if (u.lost)
        return;
      self->request(u.handle, call_timeout, chat::report_atom::value)
        .receive([&](chat::chat_report& rep) { u.report = std::move(rep); },
                 [&](caf::error& err) {
                   if (err == caf::sec::request_timeout
                       || err == troupe::make_error(troupe::errc::timeout))
                     return;
                   u.lost = true;
                   u.lost_why = troupe::render(err);
                   line.note("  " + u.name + "@" + u.node
                             + " is gone: " + u.lost_why);
                 });
    };
    for (auto& u : users)
      ask(u);
    if (late)
      ask(*late);
  }

  void show_progress() {
    if (elapsed() < 0.25)
      return; // a rate over the first few milliseconds says nothing
    auto got = received();
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "[%5.1fs] delivered %llu/%llu (%.0f/s)%s | posted %llu/%llu "
                  "| users %zu | nodes up %zu/%zu",
                  elapsed(), static_cast<unsigned long long>(got),
                  static_cast<unsigned long long>(expected(opt.messages)),
                  got / std::max(elapsed(), 1e-3),
                  late ? (" + " + std::to_string(late->report.received)
                          + " to " + late->name)
                           .c_str()
                       : "",
                  static_cast<unsigned long long>(posted()),
                  static_cast<unsigned long long>(opt.messages * users.size()
                                                  * opt.rooms_per_user),
                  users.size() + (late ? 1 : 0), dc->workers().size(),
                  workers);
    line.update(buf);
  }
};

/// The command line: nothing if the demo may run, else its exit code.
std::optional<int> parse(int argc, char** argv, options& opt) {
  CLI::App args{description, argv[0]};
  troupe::tools::show_defaults(args);
  args.add_option("--users", opt.users, "users, placed round-robin on the workers")
    ->check(troupe::tools::in_range(1, 1000));
  args.add_option("--rooms", opt.rooms, "rooms")->check(troupe::tools::in_range(1, 100));
  args.add_option("--rooms-per-user", opt.rooms_per_user, "rooms each user joins")
    ->check(troupe::tools::in_range(1, 100));
  args.add_option("--messages", opt.messages,
                  "messages each user posts to each of its rooms")
    ->check(troupe::tools::in_range(2, 10'000'000));
  args.add_option("--rate", opt.rate, "posts per second per user")
    ->check(troupe::tools::in_range(1, 1'000'000));
  args.add_flag_callback("--no-late", [&opt] { opt.late = false; },
                         "no user joins late");
  args.add_option("--leave-node", opt.leave_node,
                  "SIGTERM worker node N (1 = n1) once the second half is "
                  "posted: it leaves the cluster, its users end with it, "
                  "and the check covers the users that stay (embedded "
                  "cluster only; 0: no node leaves)")
    ->type_name("N")
    ->check(troupe::tools::in_range(0, 1000));
  args.add_option("--timeout", opt.timeout,
                  "give up waiting for deliveries after this many seconds")
    ->check(troupe::tools::in_range(1, 86400));
  troupe::demo::add_cluster_options(args, opt.cluster);
  if (auto code = troupe::tools::parse(args, argc, argv))
    return code;
  if (opt.rooms_per_user > opt.rooms)
    return troupe::tools::usage_error(args, "--rooms-per-user cannot exceed --rooms");
  if (opt.leave_node > opt.cluster.nodes)
    return troupe::tools::usage_error(args, "--leave-node names no worker node "
                                            "(there are --nodes of them)");
  return std::nullopt;
}

/// The cluster, converged, and the on-time users placed on the workers
/// and subscribed to their rooms; false (the error printed) otherwise.
bool deploy(chat_run& r) {
  auto& opt = r.opt;
  r.dc = demo_cluster::start(opt.cluster);
  if (!r.dc)
    return false;
  auto& dc = *r.dc;
  r.workers = dc.workers().size();
  if (!r.await_converged()) {
    std::cerr << "error: the worker nodes did not all see each other within "
                 "30 s; see the node logs\n";
    return false;
  }
  for (size_t i = 0; i < opt.users; ++i) {
    user_info u;
    u.name = user_name(i);
    for (size_t j = 0; j < opt.rooms_per_user; ++j)
      u.rooms.push_back(room_name((i + j) % opt.rooms));
    for (auto& room : u.rooms)
      r.members[room].push_back(u.name);
    r.users.push_back(std::move(u));
  }
  std::printf("placing %zu users on the %zu worker nodes (round-robin); each "
              "joins %llu of %llu rooms through its node's pub/sub broker\n",
              r.users.size(), r.workers,
              static_cast<unsigned long long>(opt.rooms_per_user),
              static_cast<unsigned long long>(opt.rooms));
  std::fflush(stdout);
  for (auto& u : r.users) {
    if (!r.add_user(u))
      return false;
    r.line.note("  " + u.name + "@" + u.node + " joined " + join(u.rooms));
  }
  auto view = dc.client().members();
  auto members_up = view ? std::count_if(view->begin(), view->end(),
                                         [](auto& m) {
                                           return m.state
                                                  == troupe::member_state::up;
                                         })
                         : 0;
  std::printf("%llu subscriptions, each confirmed by at least %zu of the %zu "
              "members (workers and this client) before anyone posts\n",
              static_cast<unsigned long long>(opt.users * opt.rooms_per_user),
              r.min_confirmed, static_cast<size_t>(members_up));
  return true;
}

/// Halfway through the first half of the posts: the late user joins while
/// messages flow. False (the error printed) if it cannot join.
bool add_late_user(chat_run& r) {
  auto u = std::make_unique<user_info>();
  u->name = "zoe";
  for (size_t j = 0; j < r.opt.rooms_per_user; ++j)
    u->rooms.push_back(room_name(j));
  auto delivered = r.received();
  if (!r.add_user(*u))
    return false;
  r.line.note("  " + u->name + "@" + u->node + " joined " + join(u->rooms)
              + " late, after " + std::to_string(delivered)
              + " deliveries: it must get a gap-free tail of every sender, "
                "all of the second half");
  r.late = std::move(u);
  return true;
}

/// SIGTERMs worker node --leave-node: it leaves the cluster gracefully
/// (returns once the process exited), taking its users with it.
void leave(chat_run& r) {
  auto* local = r.dc->local();
  auto i = static_cast<size_t>(r.opt.leave_node - 1);
  if (!local || i >= local->nodes().size()) {
    r.line.note("  --leave-node: no embedded node " + std::to_string(i + 1)
                + " to stop (a --seed cluster is not ours to stop)");
    return;
  }
  r.left_node = local->nodes()[i].name;
  r.line.note("  node " + r.left_node + " leaves now (SIGTERM), with its users");
  local->signal(i, SIGTERM);
}

/// Posting and the progress loop: until every message arrived or the
/// timeout; nothing if the late user could not join.
std::optional<chat::run_figures> drive(chat_run& r) {
  auto& opt = r.opt;
  auto half = opt.late ? opt.messages / 2 : opt.messages;
  std::printf("posting: %llu messages per user and room at %llu posts/s per "
              "user%s\n",
              static_cast<unsigned long long>(opt.messages),
              static_cast<unsigned long long>(opt.rate),
              opt.late ? "; a late user joins halfway" : "");
  std::fflush(stdout);
  r.start = clock_type::now();
  caf::scoped_actor self{r.dc->sys().actors()};
  for (auto& u : r.users)
    self->send(u.handle, chat::post_atom::value, uint64_t{1}, half, opt.rate);
  bool second_half_sent = !opt.late;
  auto deadline = r.start + std::chrono::duration<double>(opt.timeout);
  auto total = r.expected(opt.messages);
  for (;;) {
    r.poll();
    r.show_progress();
    if (r.done(opt.messages))
      break;
    if (clock_type::now() >= deadline) {
      r.line.note("  gave up waiting after " + std::to_string(opt.timeout)
                  + " s");
      break;
    }
    if (opt.leave_node > 0 && r.left_node.empty() && second_half_sent
        && r.received() >= r.expected(half) / 2) {
      leave(r);
      continue;
    }
    if (!second_half_sent && r.received() >= r.expected(half) / 2) {
      // The second half is posted once the late user's subscriptions are
      // confirmed.
      if (!add_late_user(r))
        return std::nullopt;
      for (auto& x : r.users)
        self->send(x.handle, chat::post_atom::value, half + 1, opt.messages,
                   opt.rate);
      second_half_sent = true;
      continue;
    }
    // The users' counters live on other nodes: poll them (and refresh the
    // display) a few times a second until everything arrived or time is up.
    std::this_thread::sleep_for(100ms);
  }
  auto seconds = r.elapsed();
  r.poll();
  auto got = r.received();
  char done[128];
  std::snprintf(done, sizeof(done), "done: %llu deliveries in %.1f s",
                static_cast<unsigned long long>(got), seconds);
  r.line.finish(done);
  return chat::run_figures{.rooms = opt.rooms,
                           .messages = opt.messages,
                           .workers = r.workers,
                           .delivered = got,
                           .expected = total,
                           .seconds = seconds,
                           .left_node = r.left_node};
}

/// The users live on the workers: they would outlive a run against --seed.
void stop_users(chat_run& r) {
  for (auto& u : r.users)
    caf::anon_send_exit(u.handle, caf::exit_reason::user_shutdown);
  if (r.late)
    caf::anon_send_exit(r.late->handle, caf::exit_reason::user_shutdown);
}

int run(int argc, char** argv) {
  // Destroyed last: bounds the stop of everything below.
  troupe::demo::stop_watchdog watchdog;
  auto r = std::make_unique<chat_run>();
  if (auto code = parse(argc, argv, r->opt))
    return *code;
  if (!deploy(*r))
    return 1;
  auto figures = drive(*r);
  if (!figures)
    return 1;
  auto v = chat::check(*r, r->opt.messages, r->left_node);
  chat::report(*r, v, *figures);
  stop_users(*r);
  watchdog.arm(std::chrono::seconds(60), "the users and the cluster to stop");
  return v.ok() ? 0 : 1;
}

troupe::demo::register_demo reg{
  "chat", "chat rooms as pub/sub topics across nodes, checked delivery (cluster)",
  run};
troupe::demo::register_node_setup setup_reg{chat::setup};

} // namespace
