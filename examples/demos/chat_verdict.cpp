#include "demos/chat_verdict.hpp"

#include <algorithm>
#include <cstdio>

namespace troupe::demos::chat {

namespace {

/// A stream from a lost sender: a gap-free prefix #1..#k (k >= 0).
void check_cut(verdict& v, const std::string& who, const std::string& room,
               const std::string& sender, const chat_stream* s) {
  if (!s || (s->first == 1 && s->count == s->last && s->problems == 0)) {
    ++v.cut;
    return;
  }
  ++v.disorder;
  v.example(who + " in " + room + ": the messages of " + sender
            + " (lost with its node) are not a gap-free prefix: #"
            + std::to_string(s->first) + "..#" + std::to_string(s->last) + ", "
            + std::to_string(s->count) + " messages");
}

/// Users lost: with the node that left, or wrongly.
void count_lost(verdict& v, const user_info& u, const std::string& left_node) {
  if (!u.lost)
    return;
  if (!left_node.empty() && u.node == left_node) {
    ++v.lost;
    return;
  }
  ++v.lost_wrongly;
  v.example(u.name + " on " + u.node + " was lost although its node stayed: "
            + u.lost_why);
}

} // namespace

verdict check(const roster& r, uint64_t messages, const std::string& left_node) {
  verdict v;
  auto m = messages;
  for (auto& u : r.users) {
    count_lost(v, u, left_node);
    if (u.lost)
      continue;
    size_t expected_streams = 0;
    for (auto& room : u.rooms)
      for (auto& sender : r.members.at(room)) {
        ++expected_streams;
        auto s = r.stream(u, room, sender);
        if (!r.alive(sender)) {
          check_cut(v, u.name, room, sender, s);
          continue;
        }
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
  if (r.late)
    count_lost(v, *r.late, left_node);
  if (r.late && !r.late->lost) {
    auto& u = *r.late;
    // Phase two (numbers after half) was posted after its subscriptions
    // were confirmed: all of it must be there, and nothing out of order.
    auto must_from = m / 2 + 1;
    for (auto& room : u.rooms)
      for (auto& sender : r.members.at(room)) {
        auto s = r.stream(u, room, sender);
        if (!r.alive(sender)) {
          // Cut short: gap-free from where the late user came in.
          if (s && (s->problems > 0 || s->count != s->last - s->first + 1)) {
            v.late_ok = false;
            v.example(u.name + " (late) in " + room + " from " + sender
                      + " (lost): gaps or disorder");
          }
          continue;
        }
        if (!s || s->last != m || s->problems > 0 || s->first > must_from
            || s->count != s->last - s->first + 1) {
          v.late_ok = false;
          v.example(u.name + " (late) in " + room + " from " + sender + ": "
                    + (s ? std::string{"#"} + std::to_string(s->first) + "..#"
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

void report(const roster& r, const verdict& v, const run_figures& f) {
  for (auto& [room, xs] : r.members) {
    // Counted among the users that stayed, over the senders that stayed.
    uint64_t complete_users = 0, stayed = 0;
    for (auto& u : r.users) {
      if (u.lost
          || std::find(u.rooms.begin(), u.rooms.end(), room) == u.rooms.end())
        continue;
      ++stayed;
      bool all = true;
      for (auto& sender : xs) {
        if (!r.alive(sender))
          continue;
        auto s = r.stream(u, room, sender);
        all = all && s && s->first == 1 && s->last == f.messages
              && s->count == f.messages && s->problems == 0;
      }
      complete_users += all ? 1 : 0;
    }
    auto lost = xs.size() - stayed;
    std::string text = "  " + room + ": " + std::to_string(xs.size())
                       + " users posted " + std::to_string(f.messages)
                       + " each; " + std::to_string(complete_users) + "/"
                       + std::to_string(stayed)
                       + (lost == 0 ? " got all " + std::to_string(xs.size() * f.messages)
                                    : " that stayed got all "
                                        + std::to_string(stayed * f.messages)
                                        + " of the others that stayed ("
                                        + std::to_string(lost) + " lost with "
                                        + f.left_node + ")")
                       + " once, in each sender's order";
    if (r.late && std::find(r.late->rooms.begin(), r.late->rooms.end(), room)
                     != r.late->rooms.end())
      text += "; " + r.late->name + " (late) is in it";
    std::printf("%s\n", text.c_str());
  }
  for (auto& x : v.examples)
    std::printf("  problem: %s\n", x.c_str());
  std::string late_text;
  if (r.late)
    late_text = "; " + r.late->name + " joined late on " + r.late->node
                + " and got " + std::to_string(r.late->report.received)
                + " messages, "
                + (v.late_ok ? "a gap-free tail of every sender (from #"
                                 + std::to_string(v.late_from) + " at the latest)"
                             : std::string{"gaps or disorder"});
  uint64_t resubscribed = 0;
  for (auto& u : r.users)
    resubscribed += u.report.resubscribed;
  if (!f.left_node.empty())
    late_text += "; node " + f.left_node + " left during the run with "
                 + std::to_string(v.lost) + " users, whose "
                 + std::to_string(v.cut)
                 + " streams to the others are gap-free prefixes";
  std::printf(
    "summary: %zu users on %zu nodes in %llu rooms posted %llu messages; "
    "%llu/%llu deliveries in %.1f s (%.0f/s)%s%s: %s\n",
    r.users.size(), f.workers, static_cast<unsigned long long>(f.rooms),
    static_cast<unsigned long long>(r.posted()),
    static_cast<unsigned long long>(f.delivered),
    static_cast<unsigned long long>(f.expected), f.seconds, f.delivered / f.seconds,
    late_text.c_str(),
    resubscribed > 0
      ? ("; " + std::to_string(resubscribed) + " resubscriptions").c_str()
      : "",
    v.ok() ? (f.left_node.empty()
                ? "OK, every user got every message of its rooms exactly once "
                  "and in each sender's order"
                : "OK, every user that stayed got every message of the users "
                  "that stayed exactly once and in each sender's order")
           : ("FAIL: " + std::to_string(v.incomplete) + " incomplete streams ("
              + std::to_string(v.missing) + " messages missing), "
              + std::to_string(v.disorder) + " out of order or duplicated, "
              + std::to_string(v.unexpected) + " unexpected, "
              + std::to_string(v.lost_wrongly) + " users lost on nodes that stayed")
               .c_str());
  std::fflush(stdout);
}

} // namespace troupe::demos::chat
