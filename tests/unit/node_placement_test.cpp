// Specification of a node's placement state (runtime/src/node/
// placement_state.hpp): the one round-robin turn and the load of recent
// placements that node::spawn_on and every remote child share.

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "node/placement_state.hpp"

using troupe::member_info;
using troupe::placement;
using troupe::detail::placement_state;

namespace {

std::vector<member_info> workers(std::vector<uint64_t> loads) {
  std::vector<member_info> result;
  for (size_t i = 0; i < loads.size(); ++i) {
    member_info m;
    // Appended, not "n" + to_string (GCC 12's -Wrestrict misfires at -O2).
    m.name = "n";
    m.name += std::to_string(i + 1);
    m.actors = loads[i];
    result.push_back(m);
  }
  return result;
}

/// How many of `n` placements by `where` go to each member.
std::map<std::string, int> spread(placement_state& st, const placement& where,
                                  const std::vector<member_info>& xs, int n) {
  std::map<std::string, int> result;
  for (int i = 0; i < n; ++i)
    ++result[st.order(where, xs).front().name];
  return result;
}

} // namespace

TEST_CASE("round-robin placements of one node take the members in turn") {
  placement_state st;
  auto xs = workers({0, 0, 0});
  CHECK(spread(st, placement::round_robin, xs, 12)
        == std::map<std::string, int>{{"n1", 4}, {"n2", 4}, {"n3", 4}});
}

TEST_CASE("a placement lists the choice first, then every other member in "
          "turn") {
  placement_state st;
  auto xs = workers({0, 0, 0});
  st.order(placement::round_robin, xs); // n1
  auto order = st.order(placement::round_robin, xs);
  REQUIRE(order.size() == 3);
  CHECK(order[0].name == "n2");
  CHECK(order[1].name == "n3");
  CHECK(order[2].name == "n1");
}

TEST_CASE("least_loaded counts the placements it made since each member's "
          "last heartbeat") {
  placement_state st;
  // n1 reported more actors: it gets placements only once the others have
  // caught up with what was placed on them.
  auto xs = workers({13, 10, 10});
  CHECK(spread(st, placement::least_loaded, xs, 9)
        == std::map<std::string, int>{{"n1", 1}, {"n2", 4}, {"n3", 4}});
  CHECK(st.placed_since_heartbeat("n2") == 4);
  // A heartbeat of n2 reports its load, which now includes those actors.
  st.heard_from("n2");
  CHECK(st.placed_since_heartbeat("n2") == 0);
  CHECK(st.placed_since_heartbeat("n1") == 1);
}

TEST_CASE("without members a placement is empty and uses no turn") {
  placement_state st;
  CHECK(st.order(placement::round_robin, {}).empty());
  auto xs = workers({0, 0});
  CHECK(st.order(placement::round_robin, xs).front().name == "n1");
}
