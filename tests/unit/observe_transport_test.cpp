// What troupe's transport reports per peer (issue 16, item 1): frames and
// bytes in and out labelled with the peer's member name, buffer use, and
// that a peer's series go when it is forgotten. Two nodes in this process
// (the registry is one per process: each node's collector reports its own
// peers). Every wait is bounded: loops re-read until a deadline.

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "troupe/metrics.hpp"
#include "troupe/node.hpp"

using namespace std::chrono_literals;

namespace {

/// The value of `name{peer=peer,direction=dir}` (dir empty: no direction),
/// or -1 if the series is not reported.
double peer_value(const std::string& name, const std::string& peer,
                  const std::string& dir) {
  for (auto& s : troupe::metrics::snapshot()) {
    if (s.name != name)
      continue;
    troupe::metrics::labels want{{"peer", peer}};
    if (!dir.empty())
      want.emplace_back("direction", dir);
    if (s.ls == want)
      return s.value;
  }
  return -1;
}

/// Every peer label of the transport's per-peer series.
std::set<std::string> peer_labels() {
  std::set<std::string> out;
  for (auto& s : troupe::metrics::snapshot())
    if (s.name.rfind("troupe_transport_peer_", 0) == 0)
      for (auto& [k, v] : s.ls)
        if (k == "peer")
          out.insert(v);
  return out;
}

double total(const std::string& name) {
  double sum = 0;
  for (auto& s : troupe::metrics::snapshot())
    if (s.name == name && s.ls.empty())
      sum += s.value;
  return sum;
}

template <class F>
bool within(std::chrono::seconds limit, F pred) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(20ms); // re-read interval, not a sync point
  }
  return pred();
}

} // namespace

TEST_CASE("the transport counts frames and bytes per peer, labelled with the "
          "peer's member name, and drops a peer's series once it is gone") {
  troupe::test::test_config cfg_a, cfg_b;
  cfg_a.set("troupe.node-name", "obs-peer-a");
  cfg_a.set("troupe.listen", "127.0.0.1:0");
  auto a = troupe::node::start(cfg_a);
  REQUIRE(a);
  cfg_b.set("troupe.node-name", "obs-peer-b");
  cfg_b.set("troupe.listen", "127.0.0.1:0");
  cfg_b.set("troupe.seeds", "127.0.0.1:" + std::to_string((*a)->port()));
  auto b = troupe::node::start(cfg_b);
  REQUIRE(b);
  REQUIRE((*a)->await_member("obs-peer-b", 10s));
  REQUIRE((*b)->await_member("obs-peer-a", 10s));

  // Heartbeats flow both ways: each node sees the other's frames and bytes.
  const std::string frames = "troupe_transport_peer_frames_total";
  const std::string bytes = "troupe_transport_peer_bytes_total";
  REQUIRE(within(10s, [&] {
    for (auto* peer : {"obs-peer-a", "obs-peer-b"})
      for (auto* dir : {"in", "out"})
        if (peer_value(frames, peer, dir) <= 0
            || peer_value(bytes, peer, dir) <= 0)
          return false;
    return true;
  }));
  // A frame is at least its header: bytes outgrow frames.
  CHECK(peer_value(bytes, "obs-peer-b", "in")
        > peer_value(frames, "obs-peer-b", "in"));
  CHECK(peer_value("troupe_transport_peer_dropped_total", "obs-peer-b", "")
        == 0);
  CHECK(peer_value("troupe_transport_peer_pending_bytes", "obs-peer-b", "")
        >= 0);
  CHECK(peer_value("troupe_transport_peer_inbound_bytes", "obs-peer-b", "")
        >= 0);
  CHECK(total("troupe_transport_pending_limit_bytes") > 0);
  CHECK(total("troupe_transport_inbound_limit_bytes") > 0);
  // The totals hold at least what the peers counted.
  CHECK(total("troupe_transport_messages_in_total")
        >= peer_value(frames, "obs-peer-a", "in")
               + peer_value(frames, "obs-peer-b", "in"));
  // Only member names label series: nothing a connection claims.
  CHECK(peer_labels() == std::set<std::string>{"obs-peer-a", "obs-peer-b"});

  // b leaves and stops: a forgets it, and its series go.
  REQUIRE_FALSE((*b)->leave(5s));
  b->reset();
  CHECK(within(10s, [&] {
    return peer_value(frames, "obs-peer-b", "in") < 0
           && peer_value(bytes, "obs-peer-b", "out") < 0;
  }));
  CHECK(peer_labels().count("obs-peer-b") == 0);
}
