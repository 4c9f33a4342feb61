// Specification of publish/subscribe topics across nodes
// (actors/pubsub/cluster_broker.hpp). Every test runs two or three nodes in
// this process, each its own actor system on a loopback port, joined
// through the first node as seed.

#include <map>
#include <memory>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>

#include <pubsub/cluster_broker.hpp>
#include <pubsub/links.hpp>
#include <troupe/rpc.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;
namespace ps = troupe::pubsub;

namespace {

/// Polls `pred` until it holds or the bound passes: the condition lives in
/// other actors (agents, brokers) that nothing here can wait on directly.
bool eventually(const std::function<bool()>& pred) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// Nodes "a", "b", "c"... in this process, connected to each other.
class cluster {
public:
  explicit cluster(size_t n) {
    // Two nodes that learn of each other at the same moment both connect,
    // and CAF 0.17.6 can then keep a route on which one side's messages
    // arrive without a sender: asynchronous traffic (heartbeats, gossip,
    // publishes) flows, but every reply to that side is lost. Seen in about
    // one of 30 three-node starts; a runtime fix is pending (one side
    // connects, the other answers). Until then a cluster that fails the
    // check below is started again: these tests specify pub/sub, not that.
    for (int attempt = 0; attempt < 5; ++attempt) {
      start(n);
      if (replies_flow())
        return;
      WARN("restarting the test cluster: a connection drops reply senders");
      stop();
    }
    FAIL("no cluster of " << n << " nodes where every node gets replies");
  }

  ~cluster() {
    stop();
  }

  node& operator[](size_t i) {
    return *nodes_[i];
  }

  caf::actor_system& sys(size_t i) {
    return nodes_[i]->sys().actors();
  }

  /// Node i's broker (spawned on first use).
  caf::actor broker(size_t i) {
    return ps::cluster_broker(sys(i), nodes_[i]->agent());
  }

  caf::expected<size_t> subscribe(size_t i, const std::string& topic,
                                  const caf::actor& sub) {
    return rpc::call<size_t>(sys(i), broker(i), bound,
                             ps::subscribe_atom::value, topic, sub);
  }

  caf::expected<size_t> publish(size_t i, const std::string& topic,
                                caf::message payload) {
    return rpc::call<size_t>(sys(i), broker(i), bound, ps::publish_atom::value,
                             topic, std::move(payload));
  }

  /// How many relays node i's agent lists in the topic's group.
  size_t members(size_t i, const std::string& topic) {
    auto xs = nodes_[i]->group_members(ps::topic_group(topic));
    return xs ? xs->size() : size_t{999};
  }

private:
  void start(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      auto cfg = std::make_unique<test_config>();
      cfg->set("troupe.node-name", std::string(1, static_cast<char>('a' + i)));
      cfg->set("troupe.listen", "127.0.0.1:0");
      // A test kills an agent to crash its node: this process must go on.
      cfg->set("troupe.exit-on-agent-death", false);
      if (i > 0)
        cfg->set("troupe.seeds",
                 "127.0.0.1:" + std::to_string(nodes_[0]->port()));
      auto nd = node::start(*cfg);
      REQUIRE(nd);
      cfgs_.push_back(std::move(cfg));
      nodes_.push_back(std::move(*nd));
    }
    // Every node must hold a direct connection to every other one before a
    // test starts (group updates travel on those connections).
    for (auto& nd : nodes_)
      REQUIRE(eventually([&] {
        auto xs = nd->members();
        if (!xs || xs->size() != n)
          return false;
        return std::all_of(xs->begin(), xs->end(), [](auto& m) {
          return m.state == member_state::up && m.agent;
        });
      }));
  }

  /// Whether a request from every node to every other node's agent is
  /// answered (see the constructor).
  bool replies_flow() {
    for (auto& nd : nodes_) {
      auto xs = nd->members();
      REQUIRE(xs);
      for (auto& m : *xs) {
        caf::scoped_actor self{nd->sys().actors()};
        bool answered = false;
        self->request(m.agent, std::chrono::seconds(2), members_atom::value)
          .receive([&](std::vector<member_info>&) { answered = true; },
                   [](caf::error&) {});
        if (!answered)
          return false;
      }
    }
    return true;
  }

  void stop() {
    // Later nodes first: the seed leaves last.
    while (!nodes_.empty())
      nodes_.pop_back();
    cfgs_.clear();
  }

  std::vector<std::unique_ptr<test_config>> cfgs_;
  std::vector<std::unique_ptr<node>> nodes_;
};

/// The next topic message at `self`, or nothing within `within`.
std::optional<std::pair<std::string, caf::message>>
next(caf::scoped_actor& self, caf::timespan within = bound) {
  std::optional<std::pair<std::string, caf::message>> result;
  self->receive(
    [&](ps::topic_atom, std::string& topic, caf::message& msg) {
      result = std::make_pair(std::move(topic), std::move(msg));
    },
    caf::after(within) >> [] {});
  return result;
}

/// A subscriber actor that ignores what it receives.
caf::behavior sink(caf::event_based_actor*) {
  return {[](ps::topic_atom, const std::string&, const caf::message&) {}};
}

} // namespace

TEST_CASE("pubsub cluster: a subscriber on another node receives what is "
          "published") {
  cluster c{2};
  caf::scoped_actor sub{c.sys(1)};
  // Confirmed on both nodes: a publish on either reaches it from now on.
  REQUIRE(c.subscribe(1, "news", caf::actor{sub}) == 2u);
  CHECK(c.publish(0, "news", caf::make_message(std::string{"hello"})) == 1u);
  auto m = next(sub);
  REQUIRE(m);
  CHECK(m->first == "news");
  REQUIRE(m->second.match_elements<std::string>());
  CHECK(m->second.get_as<std::string>(0) == "hello");
}

TEST_CASE("pubsub cluster: each publisher's messages arrive in publishing "
          "order on every node") {
  cluster c{3};
  std::vector<std::unique_ptr<caf::scoped_actor>> subs;
  for (size_t i = 0; i < 3; ++i) {
    subs.push_back(std::make_unique<caf::scoped_actor>(c.sys(i)));
    REQUIRE(c.subscribe(i, "seq", caf::actor{*subs.back()}) == 3u);
  }
  constexpr int32_t n = 1000;
  // Two publishers on different nodes, interleaved, fire and forget.
  caf::scoped_actor pa{c.sys(0)};
  caf::scoped_actor pc{c.sys(2)};
  auto ba = c.broker(0);
  auto bc = c.broker(2);
  for (int32_t i = 0; i < n; ++i) {
    pa->send(ba, ps::publish_atom::value, std::string{"seq"},
             caf::make_message(std::string{"pa"}, i));
    pc->send(bc, ps::publish_atom::value, std::string{"seq"},
             caf::make_message(std::string{"pc"}, i));
  }
  for (auto& sub : subs) {
    std::map<std::string, int32_t> expected{{"pa", 0}, {"pc", 0}};
    for (int32_t k = 0; k < 2 * n; ++k) {
      auto m = next(*sub);
      REQUIRE(m);
      REQUIRE(m->second.match_elements<std::string, int32_t>());
      auto& from = m->second.get_as<std::string>(0);
      REQUIRE(m->second.get_as<int32_t>(1) == expected[from]++);
    }
    CHECK(expected["pa"] == n);
    CHECK(expected["pc"] == n);
  }
}

TEST_CASE("pubsub cluster: a publish to a topic with no subscriber elsewhere "
          "stays on its node") {
  cluster c{2};
  CHECK(c.publish(0, "nobody", caf::make_message(1)) == 0u);
  caf::scoped_actor local{c.sys(0)};
  REQUIRE(c.subscribe(0, "here", caf::actor{local}) == 2u);
  // One member, on node a: nothing travels to b.
  CHECK(c.members(1, "here") == 1u);
  CHECK(c.publish(0, "here", caf::make_message(2)) == 1u);
  auto m = next(local);
  REQUIRE(m);
  CHECK(m->second.get_as<int>(0) == 2);
  // A publish on b reaches a's subscriber.
  CHECK(c.publish(1, "here", caf::make_message(3)) == 1u);
  m = next(local);
  REQUIRE(m);
  CHECK(m->second.get_as<int>(0) == 3);
}

TEST_CASE("pubsub cluster: an unsubscribed actor receives nothing more and "
          "its node leaves the topic") {
  cluster c{2};
  caf::scoped_actor sub{c.sys(1)};
  REQUIRE(c.subscribe(1, "t", caf::actor{sub}) == 2u);
  REQUIRE(c.publish(0, "t", caf::make_message(1)) == 1u);
  REQUIRE(next(sub));
  caf::scoped_actor self{c.sys(1)};
  bool done = false;
  self->request(c.broker(1), bound, ps::unsubscribe_atom::value,
                std::string{"t"}, caf::actor{sub})
    .receive([&] { done = true; }, [](caf::error&) {});
  REQUIRE(done);
  CHECK(rpc::call<size_t>(c.sys(1), c.broker(1), bound, ps::count_atom::value,
                          std::string{"t"})
        == 0u);
  // b's relay ended with its last subscriber: a learns it from its agent.
  REQUIRE(eventually([&] { return c.members(0, "t") == 0; }));
  CHECK(c.publish(0, "t", caf::make_message(2)) == 0u);
  CHECK(!next(sub, caf::timespan{0}));
}

TEST_CASE("pubsub cluster: a subscriber that terminates is removed") {
  cluster c{2};
  auto doomed = c.sys(1).spawn(sink);
  caf::scoped_actor survivor{c.sys(1)};
  REQUIRE(c.subscribe(1, "t", doomed) == 2u);
  REQUIRE(c.subscribe(1, "t", caf::actor{survivor}) == 2u);
  CHECK(rpc::call<size_t>(c.sys(1), c.broker(1), bound, ps::count_atom::value,
                          std::string{"t"})
        == 2u);
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  REQUIRE(await_down(c.sys(1), doomed));
  REQUIRE(eventually([&] {
    return rpc::call<size_t>(c.sys(1), c.broker(1), bound,
                             ps::count_atom::value, std::string{"t"})
           == 1u;
  }));
  // The node still has a subscriber, so it stays in the topic.
  CHECK(c.publish(0, "t", caf::make_message(1)) == 1u);
  REQUIRE(next(survivor));
  // Without the last one, the node leaves the topic everywhere.
  caf::anon_send(c.broker(1), ps::unsubscribe_atom::value, std::string{"t"},
                 caf::actor{survivor});
  REQUIRE(eventually([&] { return c.members(0, "t") == 0; }));
  CHECK(c.publish(0, "t", caf::make_message(2)) == 0u);
}

TEST_CASE("pubsub cluster: a node that goes down leaves every topic") {
  cluster c{3};
  caf::scoped_actor on_b{c.sys(1)};
  caf::scoped_actor on_c{c.sys(2)};
  REQUIRE(c.subscribe(1, "t", caf::actor{on_b}) == 3u);
  REQUIRE(c.subscribe(2, "t", caf::actor{on_c}) == 3u);
  CHECK(c.publish(0, "t", caf::make_message(1)) == 2u);
  REQUIRE(next(on_b));
  REQUIRE(next(on_c));
  // Node c's agent dies as in a crash: a and b mark c down and drop its
  // group members; c's broker ends with its agent.
  auto broker_c = c.broker(2);
  caf::anon_send_exit(c[2].agent(), caf::exit_reason::kill);
  REQUIRE(await_down(c.sys(2), broker_c));
  REQUIRE(eventually([&] { return c.members(0, "t") == 1; }));
  CHECK(c.publish(0, "t", caf::make_message(2)) == 1u);
  auto m = next(on_b);
  REQUIRE(m);
  CHECK(m->second.get_as<int>(0) == 2);
}

TEST_CASE("pubsub cluster: a broker that ends is replaced and serves its node "
          "again") {
  cluster c{2};
  caf::scoped_actor sub{c.sys(1)};
  auto old_broker = c.broker(1);
  CHECK(c.broker(1) == old_broker); // one broker per node
  REQUIRE(c.subscribe(1, "t", caf::actor{sub}) == 2u);
  caf::anon_send_exit(old_broker, caf::exit_reason::kill);
  REQUIRE(await_down(c.sys(1), old_broker));
  // Its relay ended with it (linked), so b left the topic.
  REQUIRE(eventually([&] { return c.members(0, "t") == 0; }));
  // Found again by code that has only the actor system (the node keeps its
  // agent in CAF's registry).
  auto new_broker = ps::cluster_broker(c.sys(1));
  REQUIRE(new_broker);
  CHECK(*new_broker != old_broker);
  CHECK(c.broker(1) == *new_broker);
  // A subscriber that watched its broker subscribes again.
  REQUIRE(c.subscribe(1, "t", caf::actor{sub}) == 2u);
  CHECK(c.publish(0, "t", caf::make_message(7)) == 1u);
  auto m = next(sub);
  REQUIRE(m);
  CHECK(m->second.get_as<int>(0) == 7);
}

TEST_CASE("pubsub cluster: a subscriber joining while a publisher runs gets a "
          "gap-free tail") {
  cluster c{2};
  caf::scoped_actor pub{c.sys(0)};
  caf::scoped_actor sub{c.sys(1)};
  auto b = c.broker(0);
  constexpr int32_t n = 1000;
  for (int32_t i = 0; i < n; ++i)
    pub->send(b, ps::publish_atom::value, std::string{"tail"},
              caf::make_message(i));
  // Confirmed before the second half is published: all of it must arrive.
  REQUIRE(c.subscribe(1, "tail", caf::actor{sub}) == 2u);
  for (int32_t i = n; i < 2 * n; ++i)
    pub->send(b, ps::publish_atom::value, std::string{"tail"},
              caf::make_message(i));
  auto m = next(sub);
  REQUIRE(m);
  auto first = m->second.get_as<int32_t>(0);
  CHECK(first <= n);
  for (int32_t i = first + 1; i < 2 * n; ++i) {
    m = next(sub);
    REQUIRE(m);
    REQUIRE(m->second.get_as<int32_t>(0) == i);
  }
}

TEST_CASE("pubsub cluster: a relay delivers a link's messages in number "
          "order, once") {
  ps::detail::incoming_links links;
  test_config cfg;
  troupe::system sys{cfg};
  caf::scoped_actor broker{sys.actors()};
  std::vector<int> out;
  auto take = [&](uint64_t epoch, uint64_t seq) {
    links.receive(caf::actor{broker}, epoch, seq, "t",
                  caf::make_message(static_cast<int>(seq)),
                  [&](const std::string&, const caf::message& x) {
                    out.push_back(x.get_as<int>(0));
                  });
  };
  take(1, 2); // early: held
  take(1, 3);
  CHECK(out.empty());
  take(1, 1); // fills the gap
  take(1, 2); // a duplicate (a resend)
  take(1, 4);
  CHECK(out == std::vector<int>{1, 2, 3, 4});
  take(2, 1); // the link was made again: numbering restarts
  take(1, 5); // a leftover of the old link
  CHECK(out == std::vector<int>{1, 2, 3, 4, 1});
}

TEST_CASE("pubsub cluster: a message lost between nodes is sent again") {
  cluster c{2};
  caf::scoped_actor observer{c.sys(1)};
  // A relay on b that loses the first message it gets, as a connection
  // that CAF drops would.
  auto lossy = c.sys(1).spawn([obs = caf::actor{observer}](
                                caf::event_based_actor* self) -> caf::behavior {
    auto links = std::make_shared<ps::detail::incoming_links>();
    auto dropped = std::make_shared<bool>(false);
    return {
      [=](ps::detail::link_deliver_atom, const std::string& topic,
          const caf::message& payload, const caf::actor& broker,
          uint64_t epoch, uint64_t seq) {
        if (seq == 1 && !*dropped) {
          *dropped = true;
          return;
        }
        links->receive(broker, epoch, seq, topic, payload,
                       [&](const std::string& t, const caf::message& x) {
                         self->send(obs, ps::topic_atom::value, t, x);
                       });
        links->send_acks(self);
      },
    };
  });
  REQUIRE(!c[1].join_group(ps::topic_group("lossy"), lossy));
  REQUIRE(eventually([&] { return c.members(0, "lossy") == 1; }));
  caf::scoped_actor pub{c.sys(0)};
  for (int i = 1; i <= 3; ++i)
    pub->send(c.broker(0), ps::publish_atom::value, std::string{"lossy"},
              caf::make_message(i));
  // 2 and 3 are held until 1 comes again (after about half a second).
  for (int i = 1; i <= 3; ++i) {
    auto m = next(observer);
    REQUIRE(m);
    CHECK(m->second.get_as<int>(0) == i);
  }
  CHECK(!next(observer, caf::timespan{0}));
  caf::anon_send_exit(lossy, caf::exit_reason::kill);
}
