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

TEST_CASE("the failure detector suspects a silent member, downs it after "
          "down_after, and trusts it again when it is heard") {
  failure_detector fd{1s, 3s};
  auto v = view_of("n1");
  auto t0 = membership::clock::now();
  v.merge(member("n2", 7, member_state::up), t0);
  CHECK(fd.check(v.peers(), t0 + 500ms).empty());
  auto verdicts = fd.check(v.peers(), t0 + 1500ms);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::suspect);
  v.mark(*v.find("n2"), member_state::suspect);
  verdicts = fd.check(v.peers(), t0 + 3500ms);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::down);
  // Heard from again before down_after: up again.
  v.find("n2")->last_seen = t0 + 3400ms;
  verdicts = fd.check(v.peers(), t0 + 3500ms);
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0].state == member_state::up);
  CHECK(fd.should_down(3001ms));
  CHECK_FALSE(fd.should_down(3s));
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
