// Specification of the key-value store's coordinator (kv_coordinator.hpp):
// quorum reads and writes over replicas on a hash ring, failures of
// replicas, and handoffs to replicas that join or come back empty.
// Replicas are local actors here; "a node goes down" is its replica being
// killed. The multi-process version is the `kv` demo's test.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/hash_ring.hpp"
#include "kv/kv_coordinator.hpp"
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

using versioned_value = std::tuple<uint64_t, std::string>;

struct kv_config : test_config {
  kv_config() {
    kv::add_types(*this);
  }
};

/// Collects the coordinator's event sentences; waits are bounded.
class event_sink {
public:
  std::function<void(const std::string&)> hook() {
    return [this](const std::string& text) {
      std::lock_guard<std::mutex> guard{mtx_};
      lines_.push_back(text);
      cv_.notify_all();
    };
  }

  /// Waits until `n` sentences contain `text`.
  bool wait_for(const std::string& text, size_t n = 1) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, bound, [&] {
      size_t found = 0;
      for (auto& line : lines_)
        if (line.find(text) != std::string::npos)
          ++found;
      return found >= n;
    });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

/// Holds the requests of hung replicas unanswered (so that killing a hung
/// replica breaks no promise: only the coordinator's monitor can tell), and
/// counts them for the test.
struct keeper_state {
  std::vector<caf::response_promise> held;
};

caf::behavior keeper(caf::stateful_actor<keeper_state>* self,
                     std::shared_ptr<event_sink> seen) {
  auto hold = [self, seen] {
    self->state.held.push_back(self->make_response_promise());
    seen->hook()("request held");
    return self->state.held.back();
  };
  return {
    [hold](replica_put_atom, std::string&, uint64_t,
           std::string&) -> caf::result<uint64_t> { return hold(); },
    [hold](replica_get_atom,
           std::string&) -> caf::result<uint64_t, std::string> {
      return hold();
    },
  };
}

/// Answers handoffs (empty pages, merges) but never a read or a write (a
/// hung node).
caf::behavior hung_replica(caf::event_based_actor* self, caf::actor keeper) {
  return {
    [self, keeper](replica_put_atom a, std::string& k, uint64_t v,
                   std::string& x) {
      return self->delegate(keeper, a, std::move(k), v, std::move(x));
    },
    [self, keeper](replica_get_atom a, std::string& k) {
      return self->delegate(keeper, a, std::move(k));
    },
    [](dump_atom, std::string&, uint32_t, std::vector<std::string>&,
       std::string&, uint32_t) { return std::vector<entry>{}; },
    [](merge_atom, std::vector<entry>& xs) { return uint64_t{xs.size()}; },
  };
}

/// A coordinator with replicas named after nodes.
struct store {
  kv_config cfg;
  event_sink events; // outlives the system: the coordinator calls it
  troupe::system sys{cfg};
  caf::actor coord;
  std::map<std::string, caf::actor> replicas;
  std::shared_ptr<event_sink> held = std::make_shared<event_sink>();
  caf::actor hung_keeper = sys.spawn(keeper, held);

  explicit store(std::vector<std::string> nodes,
                 coordinator_config c = coordinator_config{},
                 std::vector<std::string> hung = {}) {
    c.on_event = events.hook();
    REQUIRE_FALSE(validate(c));
    coord = spawn_coordinator(sys.actors(), c);
    // Hung replicas first: the first replica needs no handoff.
    for (auto& node : hung) {
      auto r = sys.spawn(hung_replica, hung_keeper);
      replicas[node] = r;
      caf::anon_send(coord, kv::join_atom::value, node, r);
      REQUIRE(events.wait_for(node + ": replica serving"));
    }
    for (auto& node : nodes)
      join(node);
  }

  ~store() {
    caf::anon_send_exit(coord, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(hung_keeper, caf::exit_reason::user_shutdown);
    await_down(sys.actors(), coord);
  }

  /// Adds a fresh replica for `node` and waits until it serves.
  caf::actor join(const std::string& node, size_t nth_time = 1) {
    auto r = spawn_shard(sys.actors(), coord);
    replicas[node] = r;
    caf::anon_send(coord, kv::join_atom::value, node, r);
    REQUIRE(events.wait_for(node + ": replica serving", nth_time));
    return r;
  }

  /// Kills the replica of `node` and waits until the coordinator knows.
  void kill(const std::string& node, size_t nth_time = 1) {
    caf::anon_send_exit(replicas.at(node), caf::exit_reason::kill);
    REQUIRE(events.wait_for(node + ": replica down", nth_time));
  }

  caf::expected<uint64_t> put(const std::string& key, const std::string& x) {
    return ask<uint64_t>(sys.actors(), coord, kv::put_atom::value, key, x);
  }

  caf::expected<versioned_value> get(const std::string& key) {
    caf::scoped_actor self{sys.actors()};
    caf::expected<versioned_value> result{caf::error{}};
    self->request(coord, bound, kv::get_atom::value, key)
      .receive(
        [&](uint64_t v, std::string& x) {
          result = versioned_value{v, std::move(x)};
        },
        [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// (version, value) held by the replica of `node` itself.
  versioned_value held_by(const std::string& node, const std::string& key) {
    caf::scoped_actor self{sys.actors()};
    versioned_value result{~uint64_t{0}, "no answer"};
    self->request(replicas.at(node), bound, replica_get_atom::value, key)
      .receive([&](uint64_t v, std::string& x) { result = {v, std::move(x)}; },
               [&](caf::error& err) { FAIL(kv::render(err)); });
    return result;
  }

  coordinator_status status() {
    auto st = ask<coordinator_status>(sys.actors(), coord, kv::status_atom::value);
    REQUIRE(st);
    return *st;
  }
};

std::string key(int i) {
  return numbered("key-", i);
}

/// Writes `value-prefix + i` to keys 0..n-1; returns the versions.
std::vector<uint64_t> write_all(store& s, int n, const std::string& prefix) {
  std::vector<uint64_t> versions;
  for (int i = 0; i < n; ++i) {
    auto v = s.put(key(i), numbered(prefix, i));
    INFO(key(i) << ": " << (v ? "" : kv::render(v.error())));
    REQUIRE(v);
    versions.push_back(*v);
  }
  return versions;
}

void check_all(store& s, const std::vector<uint64_t>& versions,
               const std::string& prefix) {
  for (int i = 0; i < static_cast<int>(versions.size()); ++i) {
    auto got = s.get(key(i));
    INFO(key(i) << ": " << (got ? "" : kv::render(got.error())));
    REQUIRE(got);
    CHECK(*got == versioned_value{versions[i], numbered(prefix, i)});
  }
}

} // namespace

TEST_CASE("quorums that could miss the latest acknowledged write are "
          "refused") {
  auto quorum = [](uint32_t n, uint32_t w, uint32_t r) {
    coordinator_config c;
    c.n = n;
    c.w = w;
    c.r = r;
    return validate(c);
  };
  CHECK_FALSE(quorum(3, 2, 2));
  CHECK_FALSE(quorum(3, 3, 1));
  CHECK(quorum(3, 1, 2));
  CHECK(quorum(3, 4, 2));
  CHECK(quorum(3, 0, 3));
}

TEST_CASE("a read returns the latest acknowledged write") {
  store s{{"a", "b", "c"}};
  auto v1 = s.put("k", "one");
  auto v2 = s.put("k", "two");
  REQUIRE(v1);
  REQUIRE(v2);
  CHECK(*v2 > *v1);
  CHECK(s.get("k") == versioned_value{*v2, "two"});
  CHECK(s.get("absent") == versioned_value{0, ""});
  // With three nodes, every node holds every key.
  for (auto node : {"a", "b", "c"})
    CHECK(s.held_by(node, "k") == versioned_value{*v2, "two"});
}

TEST_CASE("an empty key is refused") {
  store s{{"a", "b", "c"}};
  auto v = s.put("", "x");
  REQUIRE_FALSE(v);
  CHECK(error_kind(v.error()) == "invalid_key");
  auto g = s.get("");
  REQUIRE_FALSE(g);
  CHECK(error_kind(g.error()) == "invalid_key");
}

TEST_CASE("every key stays readable and writable with one node down") {
  store s{{"a", "b", "c", "d"}};
  auto before = write_all(s, 200, "v1-");
  s.kill("c");
  auto st = s.status();
  CHECK(st.serving == 3);
  CHECK(st.down == 1);
  check_all(s, before, "v1-");
  auto after = write_all(s, 200, "v2-");
  check_all(s, after, "v2-");
}

TEST_CASE("with two replicas of a key down, operations fail at once with "
          "no_quorum") {
  store s{{"a", "b", "c"}};
  REQUIRE(s.put("k", "x"));
  s.kill("a");
  s.kill("b");
  auto v = s.put("k", "y");
  REQUIRE_FALSE(v);
  CHECK(error_kind(v.error()) == "no_quorum");
  auto text = kv::render(v.error());
  INFO(text);
  CHECK(text.find("a down") != std::string::npos);
  auto g = s.get("k");
  REQUIRE_FALSE(g);
  CHECK(error_kind(g.error()) == "no_quorum");
}

TEST_CASE("one hung replica delays nothing, two make an operation time "
          "out") {
  SECTION("one of three") {
    store s{{"a", "b"}, coordinator_config{}, {"hung"}};
    auto start = std::chrono::steady_clock::now();
    auto versions = write_all(s, 20, "x");
    check_all(s, versions, "x");
    // Far less than 40 operations each waiting out the 1 s deadline.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  }
  SECTION("two of three") {
    coordinator_config c;
    c.replica_deadline = std::chrono::milliseconds(200);
    store s{{"a"}, c, {"hung1", "hung2"}};
    auto v = s.put("k", "x");
    REQUIRE_FALSE(v);
    CHECK(error_kind(v.error()) == "timeout");
    auto text = kv::render(v.error());
    INFO(text);
    CHECK(text.find("hung1: timeout") != std::string::npos);
  }
}

TEST_CASE("an operation waiting for replicas fails when they go down, not at "
          "its deadline") {
  coordinator_config c;
  c.replica_deadline = std::chrono::seconds(60);
  store s{{"a"}, c, {"hung1", "hung2"}};
  caf::scoped_actor self{s.sys.actors()};
  auto start = std::chrono::steady_clock::now();
  auto pending = self->request(s.coord, bound, kv::put_atom::value,
                               std::string{"k"}, std::string{"x"});
  // Both hung replicas hold the write before they die.
  REQUIRE(s.held->wait_for("request held", 2));
  s.kill("hung1");
  s.kill("hung2");
  caf::error err;
  pending.receive([](uint64_t) { FAIL("the write cannot reach a quorum"); },
                  [&](caf::error& e) { err = std::move(e); });
  CHECK(error_kind(err) == "node_down");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("a replica that comes back empty gets its keys by handoff before "
          "it serves") {
  coordinator_config c;
  c.handoff_page = 16; // many pages per source
  store s{{"a", "b", "c"}, c};
  write_all(s, 300, "v1-");
  s.kill("c");
  // Written while c is down: only a and b have these.
  auto versions = write_all(s, 300, "v2-");
  s.join("c", 2);
  auto st = s.status();
  CHECK(st.serving == 3);
  CHECK(st.down == 0);
  CHECK(st.handoff_entries >= 300);
  for (int i = 0; i < 300; ++i)
    REQUIRE(s.held_by("c", key(i))
            == versioned_value{versions[i], numbered("v2-", i)});
  // Without a, every read needs c's copies.
  s.kill("a");
  check_all(s, versions, "v2-");
}

TEST_CASE("a new node gets the keys it will own before it serves") {
  store s{{"a", "b", "c", "d"}};
  auto versions = write_all(s, 300, "v-");
  s.join("e");
  auto ring = hash_ring::of({"a", "b", "c", "d", "e"});
  int owned = 0;
  for (int i = 0; i < 300; ++i) {
    if (!ring.owns("e", key(i), 3))
      continue;
    ++owned;
    REQUIRE(s.held_by("e", key(i))
            == versioned_value{versions[i], numbered("v-", i)});
  }
  CHECK(owned > 100);
  // e now replaces some old replicas: reads still see every write, with any
  // one node down.
  s.kill("a");
  check_all(s, versions, "v-");
}

TEST_CASE("a read repairs a replica that missed the newest write") {
  store s{{"a", "b", "c"}};
  auto v1 = s.put("k", "old");
  REQUIRE(v1);
  // A newer write that reached a and b only (as if c had missed it).
  for (auto node : {"a", "b"})
    REQUIRE(ask<uint64_t>(s.sys.actors(), s.replicas[node],
                          replica_put_atom::value, std::string{"k"}, *v1 + 1,
                          std::string{"new"}));
  CHECK(s.get("k") == versioned_value{*v1 + 1, "new"});
  // The repair is a one-way message: wait (bounded) until c has it.
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (s.held_by("c", "k") != versioned_value{*v1 + 1, "new"}
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(s.held_by("c", "k") == versioned_value{*v1 + 1, "new"});
  CHECK(s.status().read_repairs == 1);
}
