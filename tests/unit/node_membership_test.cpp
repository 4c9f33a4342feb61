// Specification of the membership rules (runtime/src/node/membership.hpp)
// and of the failure detector, in this process without sockets: how one
// node's view takes in another's, whatever order gossip arrives in.

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "node/failure_detector.hpp"
#include "node/membership.hpp"

using troupe::member_event;
using troupe::member_info;
using troupe::member_state;
using troupe::detail::failure_detector;
using troupe::detail::membership;
using namespace std::chrono_literals;

namespace {

member_info member(const std::string& name, uint64_t incarnation,
                   member_state state, uint16_t port = 4000) {
  member_info m;
  m.name = name;
  m.host = "127.0.0.1";
  m.port = port;
  m.incarnation = incarnation;
  m.state = state;
  return m;
}

membership view_of(const std::string& name) {
  return membership{member(name, 100, member_state::up)};
}

member_state state_of(membership& v, const std::string& name) {
  auto* p = v.find(name);
  REQUIRE(p);
  return p->info.state;
}

} // namespace

TEST_CASE("a node refutes a rumour that it is suspect or down with a higher "
          "incarnation") {
  auto v = view_of("n1");
  auto out = v.merge(member("n1", 100, member_state::suspect));
  CHECK(out.refuted);
  CHECK(out.changed);
  CHECK(v.me().incarnation == 101);
  CHECK(v.me().state == member_state::up);
  // A rumour about a later incarnation is refuted above it.
  out = v.merge(member("n1", 250, member_state::down));
  CHECK(out.refuted);
  CHECK(v.me().incarnation == 251);
  // Old news about itself changes nothing.
  out = v.merge(member("n1", 3, member_state::down));
  CHECK_FALSE(out.changed);
  CHECK(v.me().incarnation == 251);
}

TEST_CASE("the refutation wins over the rumour on every other node") {
  auto n2 = view_of("n2");
  n2.merge(member("n1", 100, member_state::up));
  n2.merge(member("n1", 100, member_state::suspect));
  CHECK(state_of(n2, "n1") == member_state::suspect);
  auto n1 = view_of("n1");
  n1.merge(member("n1", 100, member_state::suspect));
  auto out = n2.merge(n1.me());
  CHECK(out.changed);
  CHECK(state_of(n2, "n1") == member_state::up);
  CHECK(n2.find("n1")->info.incarnation == 101);
}

TEST_CASE("within one incarnation the worse state wins") {
  auto v = view_of("n1");
  v.merge(member("n2", 7, member_state::up));
  CHECK(v.merge(member("n2", 7, member_state::suspect)).changed);
  CHECK_FALSE(v.merge(member("n2", 7, member_state::up)).changed);
  CHECK(state_of(v, "n2") == member_state::suspect);
  auto out = v.merge(member("n2", 7, member_state::down));
  CHECK(out.event == member_event::member_down);
  CHECK_FALSE(v.merge(member("n2", 7, member_state::suspect)).changed);
  CHECK(state_of(v, "n2") == member_state::down);
}

TEST_CASE("a restarted node (a higher incarnation) overrides its down entry "
          "and is dialled again") {
  auto v = view_of("n1");
  v.merge(member("n2", 7, member_state::up));
  v.merge(member("n2", 7, member_state::down));
  auto out = v.merge(member("n2", 9, member_state::up, 4001));
  CHECK(out.changed);
  CHECK(out.connect);
  CHECK(out.event == member_event::member_up);
  CHECK(state_of(v, "n2") == member_state::up);
  CHECK(v.find("n2")->info.port == 4001);
  CHECK(membership::alive(state_of(v, "n2")));
}

TEST_CASE("gossip converges to the same view whatever order it arrives in") {
  std::vector<member_info> news{
      member("n2", 5, member_state::up),
      member("n2", 5, member_state::suspect),
      member("n2", 6, member_state::up),
      member("n3", 1, member_state::up),
      member("n3", 1, member_state::leaving),
      member("n4", 2, member_state::up),
      member("n4", 2, member_state::down),
      member("n4", 1, member_state::up),
  };
  std::sort(news.begin(), news.end(), [](auto& a, auto& b) {
    return std::tie(a.name, a.incarnation, a.state)
           < std::tie(b.name, b.incarnation, b.state);
  });
  auto reference = view_of("n1");
  for (auto& m : news)
    reference.merge(m);
  CHECK(state_of(reference, "n2") == member_state::up);
  CHECK(reference.find("n2")->info.incarnation == 6);
  CHECK(state_of(reference, "n3") == member_state::leaving);
  CHECK(state_of(reference, "n4") == member_state::down);
  int orders = 0;
  do {
    auto v = view_of("n1");
    for (auto& m : news)
      v.merge(m);
    for (auto name : {"n2", "n3", "n4"}) {
      CHECK(state_of(v, name) == state_of(reference, name));
      CHECK(v.find(name)->info.incarnation
            == reference.find(name)->info.incarnation);
    }
  } while (
      std::next_permutation(news.begin(), news.end(),
                            [](auto& a, auto& b) {
                              return std::tie(a.name, a.incarnation, a.state)
                                     < std::tie(b.name, b.incarnation, b.state);
                            })
      && ++orders < 5000);
  CHECK(orders == 5000);
}

TEST_CASE("a member that left and disconnected is a tombstone that old gossip "
          "does not revive") {
  auto v = view_of("n1");
  v.merge(member("n2", 7, member_state::up));
  auto out = v.merge(member("n2", 7, member_state::leaving));
  CHECK(out.event == member_event::member_left);
  CHECK(v.disconnected(*v.find("n2")));
  CHECK(state_of(v, "n2") == member_state::removed);
  for (auto s : {member_state::up, member_state::suspect, member_state::leaving,
                 member_state::down})
    CHECK_FALSE(v.merge(member("n2", 7, s)).changed);
  CHECK(state_of(v, "n2") == member_state::removed);
  // Its next life replaces the tombstone.
  CHECK(v.merge(member("n2", 8, member_state::up)).connect);
  CHECK(state_of(v, "n2") == member_state::up);
}

TEST_CASE("a member that did not leave is not removed when its connection "
          "breaks") {
  auto v = view_of("n1");
  v.merge(member("n2", 7, member_state::up));
  v.merge(member("n2", 7, member_state::down));
  CHECK_FALSE(v.disconnected(*v.find("n2")));
  CHECK(state_of(v, "n2") == member_state::down);
}

TEST_CASE("the failure detector suspects a silent member, and trusts it "
          "again when it is heard") {
  failure_detector fd{1s, 3s, 2s};
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  CHECK(fd.check(v.peers(), t0 + 500ms).empty());
  auto verdicts = fd.check(v.peers(), t0 + 1500ms);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::suspect);
  v.mark(*v.find("n2"), member_state::suspect, t0 + 1500ms);
  // Heard from again: up again.
  membership::heard_from(*v.find("n2"), t0 + 3400ms);
  verdicts = fd.check(v.peers(), t0 + 3500ms);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::up);
}

TEST_CASE("a local timeout only suspects: down needs an unanswered probe "
          "round, a suspicion that stood for its timeout, and the silence") {
  failure_detector fd{1s, 3s, 2s};
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  auto& p = *v.find("n2");
  // Never down straight from up, however long the silence.
  auto verdicts = fd.check(v.peers(), t0 + 10s);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::suspect);
  v.mark(p, member_state::suspect, t0 + 1200ms);
  // Suspected, silent past down_after, but the probes are still out.
  p.probing = true;
  CHECK_FALSE(fd.should_down(p, t0 + 3500ms));
  CHECK(fd.check(v.peers(), t0 + 3500ms).empty());
  // The round went unanswered: now the suspicion's age decides.
  p.probing = false;
  p.probes_failed = true;
  p.probe_helpers = 3;
  CHECK_FALSE(fd.should_down(p, t0 + 3100ms)); // suspected for 1.9 s only
  CHECK(fd.should_down(p, t0 + 3200ms));
  verdicts = fd.check(v.peers(), t0 + 3200ms);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::down);
  CHECK(verdicts[0].why.find("through 3 other members") != std::string::npos);
  // A suspicion that stood long but a silence shorter than down_after: not
  // yet (suspect_after < silence <= down_after).
  p.last_seen = t0 + 1500ms;
  CHECK_FALSE(fd.should_down(p, t0 + 4400ms));
  CHECK(fd.should_down(p, t0 + 4600ms));
}

TEST_CASE("a new suspicion starts without the failed probes of the last one") {
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  auto& p = *v.find("n2");
  v.mark(p, member_state::suspect, t0);
  auto round = p.probe_round;
  p.probes_failed = true;
  v.mark(p, member_state::up, t0 + 1s);
  v.mark(p, member_state::suspect, t0 + 2s);
  CHECK_FALSE(p.probes_failed);
  CHECK(p.since == t0 + 2s);
  // Answers still on their way to an older round no longer count.
  CHECK(p.probe_round != round);
}

TEST_CASE("a node whose own tick ran later than suspect_after excuses its "
          "peers' silence instead of accusing them") {
  failure_detector fd{1s, 3s, 2s};
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  v.merge(member("n3", 7, member_state::up), t0);
  v.mark(*v.find("n3"), member_state::suspect, t0 + 1100ms);
  v.merge(member("n4", 7, member_state::up), t0);
  v.merge(member("n4", 7, member_state::down), t0);
  // The tick due at t0 + 200ms runs 6 s later (SIGSTOP, then SIGCONT).
  auto now = t0 + 6200ms;
  auto late = fd.excuse_pause(v.peers(), t0 + 200ms, now);
  CHECK(late == 6s);
  CHECK(v.find("n2")->last_seen == now);
  CHECK(v.find("n3")->last_seen == now);
  // No accusation: n2 stays up, n3 is trusted again.
  auto verdicts = fd.check(v.peers(), now);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].member == "n3");
  CHECK(verdicts[0].state == member_state::up);
  // A down member stays down (nothing live to excuse), and nothing heard
  // from anyone is made up: only the silence's clock restarts.
  CHECK(v.find("n4")->last_seen == t0);
  CHECK(v.find("n2")->heard == membership::clock::time_point{});
  // A tick a little late (within suspect_after) changes nothing.
  CHECK(fd.excuse_pause(v.peers(), now, now + 900ms)
        == membership::clock::duration::zero());
  CHECK(v.find("n2")->last_seen == now);
}

TEST_CASE("a member that heard from X within contest_within contests a third "
          "party's word that X is suspect or down, and X stays alive") {
  auto v = view_of("n1"); // contest_within 1 s by default
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  membership::heard_from(*v.find("n2"), t0 + 100ms); // its heartbeat
  for (auto s : {member_state::suspect, member_state::down}) {
    auto out = v.merge(member("n2", 7, s), t0 + 600ms);
    CHECK(out.contested);
    CHECK_FALSE(out.changed);
    CHECK_FALSE(out.event);
    CHECK(state_of(v, "n2") == member_state::up);
  }
  // Not a higher incarnation either: only n2 raises its own.
  CHECK(v.find("n2")->info.incarnation == 7);
  // Its own word is no rumour: leaving, relayed, is taken at once.
  auto out = v.merge(member("n2", 7, member_state::leaving), t0 + 600ms);
  CHECK_FALSE(out.contested);
  CHECK(state_of(v, "n2") == member_state::leaving);
  // Not heard within contest_within: a down is taken.
  out = v.merge(member("n2", 7, member_state::down), t0 + 1200ms);
  CHECK_FALSE(out.contested);
  CHECK(out.event == member_event::member_down);
  CHECK(state_of(v, "n2") == member_state::down);
}

TEST_CASE("a member this node never heard from directly is not defended: "
          "learning of it through gossip is no evidence") {
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  auto out = v.merge(member("n2", 7, member_state::suspect), t0 + 10ms);
  CHECK_FALSE(out.contested);
  CHECK(state_of(v, "n2") == member_state::suspect);
}

TEST_CASE("relayed gossip about a member never restarts its silence, its "
          "own higher incarnation does") {
  using troupe::detail::entry_source;
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  // A relayed suspicion (the bug: it refreshed last_seen, and a frozen
  // node's detection stretched to 5 s).
  CHECK(v.merge(member("n2", 7, member_state::suspect), t0 + 1500ms).changed);
  CHECK(v.find("n2")->last_seen == t0);
  // A relayed refutation is news, but no word from n2 to this node.
  CHECK(v.merge(member("n2", 8, member_state::up), t0 + 2s).changed);
  CHECK(v.find("n2")->info.incarnation == 8);
  CHECK(v.find("n2")->last_seen == t0);
  CHECK(v.find("n2")->heard == membership::clock::time_point{});
  // Relayed load figures at its incarnation: no refresh either.
  v.merge(member("n2", 8, member_state::up), t0 + 2500ms);
  CHECK(v.find("n2")->last_seen == t0);
  // n2 itself announces a strictly higher incarnation alive: evidence.
  CHECK(v.merge(member("n2", 9, member_state::up), t0 + 3s,
                entry_source::self_report)
          .changed);
  CHECK(v.find("n2")->last_seen == t0 + 3s);
  CHECK(v.find("n2")->heard == t0 + 3s);
  // Its own word at the same incarnation is not a new announcement.
  v.merge(member("n2", 9, member_state::up), t0 + 4s, entry_source::self_report);
  CHECK(v.find("n2")->last_seen == t0 + 3s);
}

TEST_CASE("a suspicion is refuted by the suspect alone: it raises its own "
          "incarnation, and the refutation wins where the rumour was taken "
          "and where it was contested") {
  using troupe::detail::entry_source;
  auto t0 = membership::clock::now();
  auto n1 = view_of("n1"); // suspects n2
  auto n3 = view_of("n3"); // heard n2 just now
  auto n2 = view_of("n2");
  for (auto* v : {&n1, &n3})
    v->merge(member("n2", 100, member_state::up), t0);
  membership::heard_from(*n3.find("n2"), t0 + 900ms);
  n1.mark(*n1.find("n2"), member_state::suspect, t0 + 1100ms);
  auto rumour = n1.find("n2")->info;
  CHECK(n3.merge(rumour, t0 + 1200ms).contested);
  // n2 hears it (from n1, or forwarded by n3) and refutes.
  auto out = n2.merge(rumour, t0 + 1200ms);
  CHECK(out.refuted);
  CHECK(n2.me().incarnation == 101);
  for (auto* v : {&n1, &n3}) {
    CHECK(v->merge(n2.me(), t0 + 1300ms, entry_source::self_report).changed);
    CHECK(state_of(*v, "n2") == member_state::up);
    CHECK(v->find("n2")->info.incarnation == 101);
    CHECK(v->find("n2")->last_seen == t0 + 1300ms);
  }
  // The old rumour is old news now.
  CHECK_FALSE(n1.merge(rumour, t0 + 1400ms).changed);
  CHECK_FALSE(n2.merge(rumour, t0 + 1400ms).refuted);
}

TEST_CASE("a refutation saturates at the highest incarnation, never wraps") {
  // The clock-skew limit lifted so that UINT64_MAX is taken in at all.
  membership v{member("n1", UINT64_MAX - 1, member_state::up),
               {.max_clock_skew_ms = UINT64_MAX}};
  CHECK(v.max_incarnation() == UINT64_MAX);
  CHECK(v.merge(member("n1", UINT64_MAX - 1, member_state::suspect)).refuted);
  CHECK(v.me().incarnation == UINT64_MAX);
  auto out = v.merge(member("n1", UINT64_MAX, member_state::down));
  CHECK(out.refuted);
  CHECK(v.me().incarnation == UINT64_MAX);
  CHECK(v.me().state == member_state::up);
}

TEST_CASE("an incarnation far ahead of the clock is refused, about a peer "
          "or about this node, so that nobody can push one to its end") {
  auto v = view_of("n1");
  v.merge(member("n2", 7, member_state::up));
  auto out = v.merge(member("n2", UINT64_MAX, member_state::down));
  CHECK_FALSE(out.changed);
  CHECK_FALSE(out.refused.empty());
  CHECK(state_of(v, "n2") == member_state::up);
  CHECK(v.find("n2")->info.incarnation == 7);
  out = v.merge(member("n1", UINT64_MAX, member_state::suspect));
  CHECK_FALSE(out.changed);
  CHECK(v.me().incarnation == 100);
  // Within the allowed skew (5 minutes by default) it is taken.
  auto soon = v.max_incarnation() - 60'000;
  CHECK(v.merge(member("n2", soon, member_state::up)).changed);
  // And raising saturates.
  CHECK(membership::saturating_next(UINT64_MAX) == UINT64_MAX);
  CHECK(membership::saturating_next(41) == 42);
}

TEST_CASE("a node is the authority on itself: any rumour above its own "
          "incarnation, even that it is up, is answered above it") {
  auto v = view_of("n1");
  // Forged gossip lifted n1's entry elsewhere to 500 (up or down): n1 goes
  // above it, so its own word wins again everywhere.
  auto out = v.merge(member("n1", 500, member_state::up));
  CHECK(out.refuted);
  CHECK(v.me().incarnation == 501);
  out = v.merge(member("n1", 501, member_state::removed));
  CHECK(out.refuted);
  CHECK(v.me().incarnation == 502);
  // Its own current entry is no rumour.
  CHECK_FALSE(v.merge(member("n1", 502, member_state::up)).changed);
}

TEST_CASE("the member table is bounded: a new member beyond max_members is "
          "refused, known members still change") {
  membership v{member("n1", 100, member_state::up), {.max_members = 2}};
  CHECK(v.merge(member("n2", 1, member_state::up)).changed);
  CHECK(v.merge(member("n3", 1, member_state::up)).changed);
  auto out = v.merge(member("n4", 1, member_state::up));
  CHECK_FALSE(out.changed);
  CHECK_FALSE(out.refused.empty());
  CHECK(v.find("n4") == nullptr);
  CHECK(v.merge(member("n3", 1, member_state::down)).changed);
}

TEST_CASE("tombstones expire: down and removed entries are forgotten after "
          "the ttl, live members never") {
  auto v = view_of("n1");
  auto t0 = std::chrono::steady_clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  v.merge(member("n3", 7, member_state::up), t0);
  v.merge(member("n3", 7, member_state::down), t0);
  v.merge(member("n4", 7, member_state::up), t0);
  v.merge(member("n4", 7, member_state::leaving), t0);
  v.disconnected(*v.find("n4"));
  CHECK(v.expire(t0 + 1s, 10min).empty());
  auto gone = v.expire(std::chrono::steady_clock::now() + 11min, 10min);
  std::sort(gone.begin(), gone.end());
  CHECK(gone == std::vector<std::string>{"n3", "n4"});
  CHECK(v.find("n2") != nullptr);
  CHECK(v.find("n3") == nullptr);
}
