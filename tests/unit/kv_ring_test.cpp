// Specification of kv::hash_ring: consistent hashing of keys onto nodes,
// and kv::quorum_op: when a quorum read or write is decided.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <troupe/errc.hpp>
#include <troupe/stable_hash.hpp>

#include "kv/hash_ring.hpp"
#include "kv/kv_protocol.hpp"
#include "kv/quorum_op.hpp"

using troupe::kv::hash_ring;
using troupe::kv::quorum_op;

namespace {

/// prefix + i (built by appending: GCC 12's -Wrestrict misfires on
/// `"literal" + std::to_string(i)` at -O2).
std::string numbered(const std::string& prefix, long i) {
  std::string result = prefix;
  result += std::to_string(i);
  return result;
}

std::string key(int i) {
  return numbered("key-", i);
}

} // namespace

TEST_CASE("the ring's hash is fixed, so every process and build agrees") {
  CHECK(hash_ring::hash("") == 0xf52a15e9a9b5e89bull);
  CHECK(hash_ring::hash("key-1") == 0x3803edeb4f445d66ull);
  auto ring = hash_ring::of({"n1", "n2", "n3", "n4"});
  CHECK(ring.replicas("key-1", 3)
        == std::vector<std::string>{"n1", "n3", "n4"});
}

TEST_CASE("key placement is pinned: a change of the hash would move keys "
          "between nodes of mixed versions") {
  // Every node of a cluster must place a key alike, whichever version it
  // runs: these values are part of the wire contract, not of one build. A
  // change here moves most keys of a running cluster (an upgrade would
  // need a handoff of everything). Values computed independently (a
  // 20-line Python model of FNV-1a 64 + splitmix64's finalizer).
  CHECK(troupe::fnv1a("") == 0xcbf29ce484222325ull);
  CHECK(troupe::fnv1a("a") == 0xaf63dc4c8601ec8cull);
  CHECK(troupe::fnv1a("key-42") == 0x16732034cb1b8c15ull);
  CHECK(troupe::stable_hash("a") == 0x02c0bdbf481420f8ull);
  CHECK(troupe::stable_hash("key-42") == 0x228dd20962c8d8b0ull);
  CHECK(troupe::stable_hash("users") == 0xfb77df25f066c2e5ull);
  // The ring hashes keys and its virtual node names ("node#i") this way.
  CHECK(hash_ring::hash("key-42") == troupe::stable_hash("key-42"));
  CHECK(hash_ring::hash("n1#0") == 0xe73b9b96754f50a4ull);
  CHECK(hash_ring::hash("n3#63") == 0x8fca9b9c5a6856dfull);
  // Whole preference lists on a five-node ring with the default 64 virtual
  // nodes each (a change of the vnode naming or count shows here too).
  auto ring = hash_ring::of({"n1", "n2", "n3", "n4", "n5"});
  using list = std::vector<std::string>;
  CHECK(ring.replicas("user:1", 3) == list{"n4", "n3", "n2"});
  CHECK(ring.replicas("user:2", 3) == list{"n4", "n2", "n1"});
  CHECK(ring.replicas("order:17", 3) == list{"n5", "n2", "n3"});
  CHECK(ring.replicas("key-0", 3) == list{"n2", "n4", "n1"});
  CHECK(ring.replicas("key-999", 3) == list{"n4", "n1", "n2"});
}

TEST_CASE("a preference list holds n distinct nodes, whatever the order "
          "nodes were added in") {
  auto a = hash_ring::of({"n1", "n2", "n3", "n4", "n5"});
  auto b = hash_ring::of({"n5", "n3", "n1", "n4", "n2", "n3"});
  CHECK(b.size() == 5);
  for (int i = 0; i < 1000; ++i) {
    auto xs = a.replicas(key(i), 3);
    REQUIRE(xs.size() == 3);
    auto sorted = xs;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    CHECK(xs == b.replicas(key(i), 3));
  }
}

TEST_CASE("with fewer nodes than n every node holds every key") {
  auto ring = hash_ring::of({"a", "b"});
  auto xs = ring.replicas("k", 3);
  std::sort(xs.begin(), xs.end());
  CHECK(xs == std::vector<std::string>{"a", "b"});
  CHECK(hash_ring{}.replicas("k", 3).empty());
}

TEST_CASE("adding a node only moves keys to the new node") {
  auto before = hash_ring::of({"n1", "n2", "n3", "n4"});
  auto after = before;
  after.add("n5");
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    auto old_list = before.replicas(key(i), 3);
    auto new_list = after.replicas(key(i), 3);
    // The new list is the old one with the new node inserted and the last
    // old node pushed out, or the old list unchanged.
    auto without_new = new_list;
    without_new.erase(std::remove(without_new.begin(), without_new.end(), "n5"),
                      without_new.end());
    CHECK(std::equal(without_new.begin(), without_new.end(), old_list.begin()));
    if (new_list != old_list)
      ++moved;
  }
  // About 3/5 of the keys get the fifth node among their three replicas.
  CHECK(moved > 800);
  CHECK(moved < 1600);
}

TEST_CASE("removing a node changes only the lists that held it") {
  auto before = hash_ring::of({"n1", "n2", "n3", "n4", "n5"});
  auto after = before;
  after.remove("n3");
  CHECK_FALSE(after.contains("n3"));
  CHECK(after.nodes() == std::vector<std::string>{"n1", "n2", "n4", "n5"});
  for (int i = 0; i < 2000; ++i) {
    auto old_list = before.replicas(key(i), 3);
    if (std::find(old_list.begin(), old_list.end(), "n3") == old_list.end())
      CHECK(after.replicas(key(i), 3) == old_list);
  }
}

TEST_CASE("keys spread evenly enough over the nodes") {
  auto ring = hash_ring::of({"n1", "n2", "n3", "n4"});
  std::map<std::string, int> primaries;
  for (int i = 0; i < 10000; ++i)
    ++primaries[ring.replicas(key(i), 1).front()];
  REQUIRE(primaries.size() == 4);
  for (auto& [node, count] : primaries) {
    INFO(node << " is the primary of " << count << " keys");
    CHECK(count > 1500);
    CHECK(count < 3500);
  }
}

TEST_CASE("a quorum is reached by counted answers only") {
  quorum_op op{2};
  op.expect("a", true);
  op.expect("b", true);
  op.expect("c", true);
  op.expect("joining", false);
  CHECK(op.succeeded("joining") == quorum_op::decision::pending);
  CHECK(op.succeeded("a") == quorum_op::decision::pending);
  CHECK(op.succeeded("b") == quorum_op::decision::reached);
  CHECK(op.state() == quorum_op::decision::reached);
  CHECK_FALSE(op.settled());
  // A late answer is recorded but decides nothing new.
  CHECK(op.succeeded("c") == quorum_op::decision::pending);
  CHECK(op.settled());
  // A replica that was not asked, or answers twice, is ignored.
  CHECK_FALSE(op.succeeded("c").has_value());
  CHECK_FALSE(op.succeeded("x").has_value());
}

TEST_CASE("a quorum fails as soon as too many counted replicas failed") {
  quorum_op op{2};
  op.expect("a", true);
  op.expect("b", true);
  op.expect("c", true);
  op.expect("joining", false);
  auto down = troupe::make_error(troupe::errc::node_down, "gone");
  auto late = troupe::make_error(troupe::errc::timeout, "slow");
  CHECK(op.failed("joining", down) == quorum_op::decision::pending);
  CHECK(op.failed("a", down) == quorum_op::decision::pending);
  CHECK(op.succeeded("b") == quorum_op::decision::pending);
  CHECK(op.failed("c", late) == quorum_op::decision::failed);
  auto err = op.error();
  // The kind of the first failure, the whole story in the context.
  CHECK(troupe::kv::error_kind(err) == "node_down");
  auto text = troupe::kv::render(err);
  INFO(text);
  CHECK(text.find("1 of 2") != std::string::npos);
  CHECK(text.find("a: node_down") != std::string::npos);
  CHECK(text.find("c: timeout") != std::string::npos);
}
