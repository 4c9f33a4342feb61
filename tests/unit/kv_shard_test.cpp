// Specification of the key-value store's replica (kv_shard.hpp): versioned
// puts, gets, merges, paged and filtered dumps (the pages of a handoff),
// and its lifetime.

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/hash_ring.hpp"
#include "kv/kv_shard.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace troupe::kv;

namespace {

/// prefix + i (built by appending: GCC 12's -Wrestrict misfires on
/// `"literal" + std::to_string(i)` at -O2).
std::string numbered(const std::string& prefix, long i) {
  std::string result = prefix;
  result += std::to_string(i);
  return result;
}

struct kv_config : test_config {
  kv_config() {
    kv::add_types(*this);
    kv::export_shard(*this);
  }
};

/// A system and the replicas spawned on it, killed at the end of a test:
/// a pending request's timeout keeps an actor alive, and the system would
/// wait for it when it stops.
struct fixture {
  kv_config cfg;
  troupe::system sys{cfg};
  std::vector<caf::actor> spawned;

  ~fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
  }

  caf::actor shard(caf::actor owner = {}) {
    spawned.push_back(spawn_shard(sys.actors(), std::move(owner)));
    return spawned.back();
  }
};

using versioned_value = std::tuple<uint64_t, std::string>;

/// (version, value) of `key` on `replica`; version 0 if absent.
versioned_value read(caf::actor_system& sys, const caf::actor& replica,
                     const std::string& key) {
  caf::scoped_actor self{sys};
  versioned_value result{~uint64_t{0}, "no answer"};
  self->request(replica, bound, replica_get_atom::value, key)
    .receive([&](uint64_t v, std::string& x) { result = {v, std::move(x)}; },
             [&](caf::error& err) { FAIL(troupe::render(err)); });
  return result;
}

uint64_t put(caf::actor_system& sys, const caf::actor& replica,
             const std::string& key, uint64_t version, const std::string& x) {
  auto r = ask<uint64_t>(sys, replica, replica_put_atom::value, key, version, x);
  REQUIRE(r);
  return *r;
}

std::vector<entry> dump_all(caf::actor_system& sys, const caf::actor& replica) {
  std::vector<entry> result;
  std::string from;
  for (;;) {
    auto page = ask<std::vector<entry>>(sys, replica, dump_atom::value, from,
                                        uint32_t{7});
    REQUIRE(page);
    if (page->empty())
      return result;
    // The next page starts right after the last key.
    from = page->back().key + '\0';
    result.insert(result.end(), page->begin(), page->end());
  }
}

} // namespace

TEST_CASE("a replica keeps the newest version of a key whatever order writes "
          "arrive in") {
  fixture f;
  auto& sys = f.sys;
  auto r = f.shard();
  CHECK(put(sys.actors(), r, "k", 5, "five") == 5);
  CHECK(read(sys.actors(), r, "k") == versioned_value{5, "five"});
  // An older write arriving late does not overwrite; the reply says which
  // version the replica holds.
  CHECK(put(sys.actors(), r, "k", 3, "three") == 5);
  CHECK(read(sys.actors(), r, "k") == versioned_value{5, "five"});
  CHECK(put(sys.actors(), r, "k", 9, "nine") == 9);
  CHECK(read(sys.actors(), r, "k") == versioned_value{9, "nine"});
}

TEST_CASE("a replica answers version 0 for a key it does not hold") {
  fixture f;
  auto& sys = f.sys;
  auto r = f.shard();
  CHECK(read(sys.actors(), r, "absent") == versioned_value{0, ""});
  CHECK(ask<uint64_t>(sys.actors(), r, count_atom::value) == uint64_t{0});
}

TEST_CASE("equal versions resolve to the same value on every replica") {
  fixture f;
  auto& sys = f.sys;
  auto a = f.shard();
  auto b = f.shard();
  put(sys.actors(), a, "k", 7, "apple");
  put(sys.actors(), a, "k", 7, "pear");
  put(sys.actors(), b, "k", 7, "pear");
  put(sys.actors(), b, "k", 7, "apple");
  CHECK(read(sys.actors(), a, "k") == read(sys.actors(), b, "k"));
}

TEST_CASE("a merge takes only the entries newer than those held") {
  fixture f;
  auto& sys = f.sys;
  auto r = f.shard();
  put(sys.actors(), r, "a", 10, "a10");
  put(sys.actors(), r, "b", 10, "b10");
  std::vector<entry> batch{{"a", 5, "a5"}, {"b", 11, "b11"}, {"c", 1, "c1"}};
  CHECK(ask<uint64_t>(sys.actors(), r, merge_atom::value, batch)
        == uint64_t{2});
  CHECK(read(sys.actors(), r, "a") == versioned_value{10, "a10"});
  CHECK(read(sys.actors(), r, "b") == versioned_value{11, "b11"});
  CHECK(read(sys.actors(), r, "c") == versioned_value{1, "c1"});
}

TEST_CASE("a dump pages through every key in order") {
  fixture f;
  auto& sys = f.sys;
  auto r = f.shard();
  for (int i = 0; i < 30; ++i)
    put(sys.actors(), r, numbered("key-", 100 + i), i + 1, "v");
  auto all = dump_all(sys.actors(), r);
  REQUIRE(all.size() == 30);
  for (int i = 0; i < 30; ++i) {
    CHECK(all[i].key == numbered("key-", 100 + i));
    CHECK(all[i].version == static_cast<uint64_t>(i + 1));
  }
}

TEST_CASE("a filtered dump pages through exactly the entries a node will "
          "own") {
  fixture f;
  auto& sys = f.sys;
  auto source = f.shard();
  std::vector<std::string> nodes{"n1", "n2", "n3", "n4", "n5"};
  auto ring = hash_ring::of(nodes);
  const int keys = 1000;
  size_t owned = 0;
  for (int i = 0; i < keys; ++i) {
    auto k = numbered("key-", i);
    put(sys.actors(), source, k, 1, numbered("v", i));
    if (ring.owns("n5", k, 3))
      ++owned;
  }
  // Pages of 50 (the last one shorter), as a coordinator reads them.
  std::vector<entry> got;
  std::string from;
  for (;;) {
    auto page = ask<std::vector<entry>>(sys.actors(), source, dump_atom::value,
                                        from, uint32_t{50}, nodes,
                                        std::string{"n5"}, uint32_t{3});
    REQUIRE(page);
    got.insert(got.end(), page->begin(), page->end());
    if (page->size() < 50)
      break;
    from = page->back().key + '\0';
  }
  CHECK(got.size() == owned);
  for (auto& x : got) {
    CHECK(ring.owns("n5", x.key, 3));
    CHECK(x.value == numbered("v", std::stoi(x.key.substr(4))));
  }
}

TEST_CASE("a replica stops when its owner terminates") {
  fixture f;
  auto& sys = f.sys;
  auto owner = sys.spawn(worker);
  auto r = f.shard(owner);
  CHECK(put(sys.actors(), r, "k", 1, "x") == 1);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  auto reason = await_down(sys.actors(), r);
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
}

TEST_CASE("the exported replica type spawns by name with its owner as "
          "argument") {
  fixture f;
  auto& sys = f.sys;
  CHECK(std::count(f.cfg.exported_types().begin(), f.cfg.exported_types().end(),
                   "kv-replica")
        == 1);
  auto r = sys.actors().spawn<caf::actor>("kv-replica",
                                          caf::make_message(caf::actor{}));
  REQUIRE(r);
  CHECK(put(sys.actors(), *r, "k", 4, "x") == 4);
  auto bad = sys.actors().spawn<caf::actor>("kv-replica",
                                            caf::make_message(42));
  CHECK_FALSE(bad);
  caf::anon_send_exit(*r, caf::exit_reason::user_shutdown);
}
