// `troupe demo chat`: chat rooms across the cluster. Rooms are pub/sub
// topics (actors/pubsub/cluster_broker.hpp); users are actors placed on the
// worker nodes round-robin, each joins some rooms through its own node's
// broker and posts numbered messages to them. Halfway through, a late user
// joins from one of the nodes while messages flow. Every user counts what
// it received per room and sender; the summary checks that every user got
// every message of its rooms exactly once and in each sender's order, and
// that the late user got a gap-free tail of every sender's messages, all of
// them from the moment its subscription was confirmed (exit code 1 if not).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/chat_user.hpp"
#include "troupe/cli.hpp"
#include "troupe/demo_args.hpp"
#include "troupe/demo_cluster.hpp"
#include "troupe/node_setup.hpp"

namespace {

using namespace std::chrono_literals;
namespace chat = troupe::demos::chat;
using troupe::cli::demo_cluster;
using troupe::cli::progress_line;
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
  double timeout = 60;
  troupe::cli::demo_cluster_options cluster
    = troupe::cli::demo_cluster_options::of("chat", 3);
};

constexpr const char* usage =
  "usage: troupe demo chat [--users N] [--rooms N] [--rooms-per-user N]\n"
  "         [--messages N] [--rate N] [--no-late] [--timeout S]\n"
  "         [cluster flags]\n"
  "Chat rooms are pub/sub topics across the cluster; users on the\n"
  "worker nodes join rooms and post numbered messages. The summary\n"
  "checks that every user got every message of its rooms exactly once\n"
  "and in each sender's order (exit code 1 if not).\n"
  "  --users N           users, placed round-robin on the workers "
  "(default 12)\n"
  "  --rooms N           rooms (default 3)\n"
  "  --rooms-per-user N  rooms each user joins (default 2)\n"
  "  --messages N        messages each user posts to each of its rooms\n"
  "                      (default 1000)\n"
  "  --rate N            posts per second per user (default 400)\n"
  "  --no-late           no user joins late\n"
  "  --timeout S         give up waiting for deliveries after S seconds\n"
  "                      (default 60)\n";

std::string user_name(size_t i) {
  static const char* names[] = {"alice", "bob",   "carol",   "dave",  "erin",
                                "frank", "grace", "heidi",   "ivan",  "judy",
                                "mallory", "niaj", "olivia", "peggy", "rupert",
                                "sybil", "trent", "victor",  "walter", "xavier"};
  constexpr size_t n = sizeof(names) / sizeof(names[0]);
  return i < n ? names[i] : "user" + std::to_string(i + 1);
}

std::string room_name(size_t i) {
  static const char* names[] = {"lobby", "dev",   "random", "ops",
                                "music", "games", "books",  "news"};
  constexpr size_t n = sizeof(names) / sizeof(names[0]);
  return i < n ? names[i] : "room" + std::to_string(i + 1);
}

struct user_info {
  std::string name;
  std::string node;
  caf::actor handle;
  std::vector<std::string> rooms;
  chat::chat_report report;
};

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ", ") + x;
  return result;
}

/// The run: cluster, users, and the checks.
struct chat_run {
  options opt;
  std::unique_ptr<demo_cluster> dc;
  std::vector<user_info> users; ///< on time
  std::unique_ptr<user_info> late;
  std::map<std::string, std::vector<std::string>> members; ///< room -> users
  progress_line line;
  clock_type::time_point start;
  size_t workers = 0;
  size_t min_confirmed = ~size_t{0};

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

  /// Every user's counters (a user that does not answer keeps its last).
  void poll() {
    caf::scoped_actor self{dc->sys().actors()};
    auto ask = [&](user_info& u) {
      self->request(u.handle, call_timeout, chat::report_atom::value)
        .receive([&](chat::chat_report& rep) { u.report = std::move(rep); },
                 [](caf::error&) {});
    };
    for (auto& u : users)
      ask(u);
    if (late)
      ask(*late);
  }

  uint64_t received() const {
    uint64_t n = 0;
    for (auto& u : users)
      n += u.report.received;
    return n;
  }

  uint64_t posted() const {
    uint64_t n = 0;
    for (auto& u : users)
      n += u.report.posted;
    return n;
  }

  /// Deliveries to the on-time users when each posts numbers 1..upto.
  uint64_t expected(uint64_t upto) const {
    uint64_t n = 0;
    for (auto& [room, xs] : members)
      n += xs.size() * xs.size() * upto;
    return n;
  }

  const chat::chat_stream* stream(const user_info& u, const std::string& room,
                                  const std::string& sender) const {
    for (auto& s : u.report.streams)
      if (s.room == room && s.sender == sender)
        return &s;
    return nullptr;
  }

  /// Whether the late user has every sender's last message in its rooms.
  bool late_done() const {
    if (!late)
      return true;
    for (auto& room : late->rooms)
      for (auto& sender : members.at(room)) {
        auto s = stream(*late, room, sender);
        if (!s || s->last < opt.messages)
          return false;
      }
    return true;
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

/// What the check found.
struct verdict {
  uint64_t complete = 0;   ///< (user, room, sender) streams that are right
  uint64_t incomplete = 0; ///< streams with messages missing
  uint64_t missing = 0;    ///< messages missing in them
  uint64_t disorder = 0;   ///< duplicates, gaps and reorderings seen
  uint64_t unexpected = 0; ///< streams from rooms or senders not joined
  bool late_ok = true;
  uint64_t late_from = 0;  ///< highest first number the late user got
  std::vector<std::string> examples;

  bool ok() const {
    return incomplete == 0 && disorder == 0 && unexpected == 0 && late_ok;
  }

  void example(std::string text) {
    if (examples.size() < 8)
      examples.push_back(std::move(text));
  }
};

verdict check(const chat_run& r) {
  verdict v;
  auto m = r.opt.messages;
  for (auto& u : r.users) {
    size_t expected_streams = 0;
    for (auto& room : u.rooms)
      for (auto& sender : r.members.at(room)) {
        ++expected_streams;
        auto s = r.stream(u, room, sender);
        auto count = s ? s->count : 0;
        if (s && s->problems > 0) {
          v.disorder += s->problems;
          v.example(u.name + " in " + room + ": " + std::to_string(s->problems)
                    + " duplicates or reorderings from " + sender);
        }
        if (s && s->first == 1 && s->last == m && count == m && s->problems == 0) {
          ++v.complete;
        } else if (count < m) {
          ++v.incomplete;
          v.missing += m - count;
          v.example(u.name + " in " + room + ": " + std::to_string(count) + "/"
                    + std::to_string(m) + " messages from " + sender);
        }
      }
    if (u.report.streams.size() > expected_streams)
      v.unexpected += u.report.streams.size() - expected_streams;
  }
  if (r.late) {
    auto& u = *r.late;
    // Phase two (numbers after half) was posted after its subscriptions
    // were confirmed: all of it must be there, and nothing out of order.
    auto must_from = m / 2 + 1;
    for (auto& room : u.rooms)
      for (auto& sender : r.members.at(room)) {
        auto s = r.stream(u, room, sender);
        if (!s || s->last != m || s->problems > 0 || s->first > must_from
            || s->count != s->last - s->first + 1) {
          v.late_ok = false;
          v.example(u.name + " (late) in " + room + " from " + sender + ": "
                    + (s ? "#" + std::to_string(s->first) + "..#"
                             + std::to_string(s->last) + ", "
                             + std::to_string(s->count) + " messages, "
                             + std::to_string(s->problems) + " out of order"
                         : std::string{"nothing"}));
        } else {
          v.late_from = std::max(v.late_from, s->first);
        }
      }
  }
  return v;
}

int run(int argc, char** argv) {
  auto r = std::make_unique<chat_run>();
  auto& opt = r->opt;
  troupe::cli::demo_args args{std::string{usage}
                              + troupe::cli::cluster_flags_help};
  args.cluster(opt.cluster)
    .integer("--users", opt.users, 1, 1000)
    .integer("--rooms", opt.rooms, 1, 100)
    .integer("--rooms-per-user", opt.rooms_per_user, 1, 100)
    .integer("--messages", opt.messages, 2, 10'000'000)
    .integer("--rate", opt.rate, 1, 1'000'000)
    .sets("--no-late", opt.late, false)
    .integer("--timeout", opt.timeout, 1, 86400);
  if (auto code = args.parse(argc, argv))
    return *code;
  if (opt.rooms_per_user > opt.rooms)
    return args.fail("--rooms-per-user cannot exceed --rooms");

  r->dc = demo_cluster::start(opt.cluster);
  if (!r->dc)
    return 1;
  auto& dc = *r->dc;
  r->workers = dc.workers().size();
  if (!r->await_converged()) {
    std::cerr << "error: the worker nodes did not all see each other within "
                 "30 s; see the node logs\n";
    return 1;
  }
  for (size_t i = 0; i < opt.users; ++i) {
    user_info u;
    u.name = user_name(i);
    for (size_t j = 0; j < opt.rooms_per_user; ++j)
      u.rooms.push_back(room_name((i + j) % opt.rooms));
    for (auto& room : u.rooms)
      r->members[room].push_back(u.name);
    r->users.push_back(std::move(u));
  }
  std::printf("placing %zu users on the %zu worker nodes (round-robin); each "
              "joins %llu of %llu rooms through its node's pub/sub broker\n",
              r->users.size(), r->workers,
              static_cast<unsigned long long>(opt.rooms_per_user),
              static_cast<unsigned long long>(opt.rooms));
  std::fflush(stdout);
  for (auto& u : r->users) {
    if (!r->add_user(u))
      return 1;
    r->line.note("  " + u.name + "@" + u.node + " joined " + join(u.rooms));
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
              r->min_confirmed, static_cast<size_t>(members_up));
  auto half = opt.late ? opt.messages / 2 : opt.messages;
  std::printf("posting: %llu messages per user and room at %llu posts/s per "
              "user%s\n",
              static_cast<unsigned long long>(opt.messages),
              static_cast<unsigned long long>(opt.rate),
              opt.late ? "; a late user joins halfway" : "");
  std::fflush(stdout);

  r->start = clock_type::now();
  caf::scoped_actor self{dc.sys().actors()};
  for (auto& u : r->users)
    self->send(u.handle, chat::post_atom::value, uint64_t{1}, half, opt.rate);
  bool second_half_sent = !opt.late;
  auto deadline = r->start + std::chrono::duration<double>(opt.timeout);
  auto total = r->expected(opt.messages);
  for (;;) {
    r->poll();
    r->show_progress();
    if (r->received() >= total && r->late_done())
      break;
    if (clock_type::now() >= deadline) {
      r->line.note("  gave up waiting after " + std::to_string(opt.timeout)
                   + " s");
      break;
    }
    if (!second_half_sent && r->received() >= r->expected(half) / 2) {
      // Halfway through the first half: the late user joins while messages
      // flow; the second half is posted once its subscriptions are
      // confirmed.
      auto u = std::make_unique<user_info>();
      u->name = "zoe";
      for (size_t j = 0; j < opt.rooms_per_user; ++j)
        u->rooms.push_back(room_name(j));
      auto delivered = r->received();
      if (!r->add_user(*u))
        return 1;
      r->line.note("  " + u->name + "@" + u->node + " joined "
                   + join(u->rooms) + " late, after "
                   + std::to_string(delivered)
                   + " deliveries: it must get a gap-free tail of every "
                     "sender, all of the second half");
      r->late = std::move(u);
      for (auto& x : r->users)
        self->send(x.handle, chat::post_atom::value, half + 1, opt.messages,
                   opt.rate);
      second_half_sent = true;
      continue;
    }
    // The users' counters live on other nodes: poll them (and refresh the
    // display) a few times a second until everything arrived or time is up.
    std::this_thread::sleep_for(100ms);
  }
  auto seconds = r->elapsed();
  r->poll();
  auto got = r->received();
  char done[128];
  std::snprintf(done, sizeof(done), "done: %llu deliveries in %.1f s",
                static_cast<unsigned long long>(got), seconds);
  r->line.finish(done);

  auto v = check(*r);
  for (auto& [room, xs] : r->members) {
    uint64_t complete_users = 0;
    for (auto& u : r->users) {
      if (std::find(u.rooms.begin(), u.rooms.end(), room) == u.rooms.end())
        continue;
      bool all = true;
      for (auto& sender : xs) {
        auto s = r->stream(u, room, sender);
        all = all && s && s->first == 1 && s->last == opt.messages
              && s->count == opt.messages && s->problems == 0;
      }
      complete_users += all ? 1 : 0;
    }
    std::string text = "  " + room + ": " + std::to_string(xs.size())
                       + " users posted " + std::to_string(opt.messages)
                       + " each; " + std::to_string(complete_users) + "/"
                       + std::to_string(xs.size())
                       + " got all " + std::to_string(xs.size() * opt.messages)
                       + " once, in each sender's order";
    if (r->late && std::find(r->late->rooms.begin(), r->late->rooms.end(), room)
                     != r->late->rooms.end())
      text += "; " + r->late->name + " (late) is in it";
    std::printf("%s\n", text.c_str());
  }
  for (auto& x : v.examples)
    std::printf("  problem: %s\n", x.c_str());
  std::string late_text;
  if (r->late)
    late_text = "; " + r->late->name + " joined late on " + r->late->node
                + " and got " + std::to_string(r->late->report.received)
                + " messages, "
                + (v.late_ok ? "a gap-free tail of every sender (from #"
                                 + std::to_string(v.late_from) + " at the latest)"
                             : std::string{"gaps or disorder"});
  uint64_t resubscribed = 0;
  for (auto& u : r->users)
    resubscribed += u.report.resubscribed;
  std::printf(
    "summary: %zu users on %zu nodes in %llu rooms posted %llu messages; "
    "%llu/%llu deliveries in %.1f s (%.0f/s)%s%s: %s\n",
    r->users.size(), r->workers, static_cast<unsigned long long>(opt.rooms),
    static_cast<unsigned long long>(r->posted()),
    static_cast<unsigned long long>(got),
    static_cast<unsigned long long>(total), seconds, got / seconds,
    late_text.c_str(),
    resubscribed > 0
      ? ("; " + std::to_string(resubscribed) + " resubscriptions").c_str()
      : "",
    v.ok() ? "OK, every user got every message of its rooms exactly once and "
             "in each sender's order"
           : ("FAIL: " + std::to_string(v.incomplete) + " incomplete streams ("
              + std::to_string(v.missing) + " messages missing), "
              + std::to_string(v.disorder) + " out of order or duplicated, "
              + std::to_string(v.unexpected) + " unexpected")
               .c_str());
  std::fflush(stdout);
  for (auto& u : r->users)
    self->send_exit(u.handle, caf::exit_reason::user_shutdown);
  if (r->late)
    self->send_exit(r->late->handle, caf::exit_reason::user_shutdown);
  return v.ok() ? 0 : 1;
}

troupe::cli::register_demo reg{
  "chat", "chat rooms as pub/sub topics across nodes, checked delivery (cluster)",
  run};
troupe::cli::register_node_setup setup_reg{chat::setup};

} // namespace
