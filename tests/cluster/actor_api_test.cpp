// The cluster API from inside actors (through the agent's asynchronous
// interface, troupe/cluster_agent.hpp) and the waiting that every app
// needs (await_member, await_name), with real `troupe node` processes.

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

using namespace troupe;
using namespace std::chrono_literals;

using troupe::test::member_fixture;

namespace {

/// Lines recorded from any thread; waits are bounded.
class lines {
public:
  void record(std::string x) {
    std::lock_guard<std::mutex> guard{mtx_};
    xs_.push_back(std::move(x));
    cv_.notify_all();
  }

  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, test::bound, [&] { return xs_.size() >= n; });
  }

  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> guard{mtx_};
    return xs_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> xs_;
};

/// Asks `agent` for `group`'s members until `pred(count)` holds (bounded):
/// other nodes learn of group changes by gossip.
bool group_count_becomes(caf::actor_system& sys, const caf::actor& agent,
                         const std::string& group,
                         const std::function<bool(size_t)>& pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto xs = test::ask<std::vector<caf::actor>>(
        sys, agent, group_members_atom::value, group);
    if (xs && pred(xs->size()))
      return true;
  }
  return false;
}

/// Asks `agent` for `name` until it finds it (found) or not (!found).
bool name_becomes(caf::actor_system& sys, const caf::actor& agent,
                  const std::string& name, bool found) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline)
    if (static_cast<bool>(
            test::ask<caf::actor>(sys, agent, whereis_atom::value, name))
        == found)
      return true;
  return false;
}

} // namespace

TEST_CASE_METHOD(member_fixture, "an actor registers and unregisters a "
                                 "cluster name and joins and leaves a group "
                                 "without blocking") {
  REQUIRE_FALSE(cluster.start(1));
  join();
  auto& sys = self_node->sys().actors();
  auto n1 = agent_of("n1");
  REQUIRE(n1);
  auto steps = std::make_shared<std::promise<std::string>>();
  auto registered = std::make_shared<std::promise<void>>();
  auto proceed = std::make_shared<std::promise<void>>();
  auto proceed_fut = std::make_shared<std::shared_future<void>>(
      proceed->get_future().share());
  using go_atom = caf::atom_constant<caf::atom("go")>;
  // The actor does everything itself, through its node's agent.
  auto actor = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto agent = local_agent(self->system());
    auto me = caf::actor_cast<caf::actor>(self);
    cluster_api::register_name(self, agent, "svc", me, 5s)
        .then(
            [=] {
              cluster_api::group_join(self, agent, "g", me, 5s)
                  .then([=] { registered->set_value(); },
                        [=](caf::error& e) { steps->set_value(render(e)); });
            },
            [=](caf::error& e) { steps->set_value(render(e)); });
    return {
        [=](go_atom) {
          cluster_api::unregister_name(self, agent, "svc", 5s)
              .then(
                  [=] {
                    cluster_api::group_leave(self, agent, "g", me, 5s)
                        .then([=] { steps->set_value("ok"); },
                              [=](caf::error& e) {
                                steps->set_value(render(e));
                              });
                  },
                  [=](caf::error& e) { steps->set_value(render(e)); });
        },
    };
  });
  auto reg = registered->get_future();
  REQUIRE(reg.wait_for(test::bound) == std::future_status::ready);
  // Every node finds the name and the group member.
  CHECK(self_node->lookup("svc") == actor);
  CHECK(name_becomes(sys, n1, "svc", true));
  CHECK(group_count_becomes(sys, n1, "g", [](size_t n) { return n == 1; }));
  caf::anon_send(actor, go_atom::value);
  auto done = steps->get_future();
  REQUIRE(done.wait_for(test::bound) == std::future_status::ready);
  CHECK(done.get() == "ok");
  // Gone on this node at once, and on n1 once the news arrives.
  CHECK_FALSE(self_node->lookup("svc"));
  CHECK(self_node->group_members("g")->empty());
  CHECK(name_becomes(sys, n1, "svc", false));
  CHECK(group_count_becomes(sys, n1, "g", [](size_t n) { return n == 0; }));
  SECTION("unregistering an unknown name or leaving a group not joined is an "
          "error value") {
    CHECK(self_node->unregister_name("svc") == errc::unknown_name);
    CHECK(self_node->leave_group("g", actor) == errc::unknown_name);
  }
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(member_fixture, "await_name answers once the name is "
                                 "registered and times out otherwise") {
  REQUIRE_FALSE(cluster.start(1));
  join();
  auto& sys = self_node->sys().actors();
  auto counter
      = self_node->spawn_on("n1", "counter", caf::make_message(int64_t{3}));
  REQUIRE(counter);
  auto waiting = std::async(std::launch::async,
                            [&] { return self_node->await_name("late", 20s); });
  REQUIRE_FALSE(self_node->register_name("late", *counter));
  REQUIRE(waiting.wait_for(test::bound) == std::future_status::ready);
  auto found = waiting.get();
  REQUIRE(found);
  CHECK(*found == *counter);
  auto t0 = std::chrono::steady_clock::now();
  auto never = self_node->await_name("never", 300ms);
  REQUIRE_FALSE(never);
  CHECK(never.error() == errc::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  // From an actor: the agent's await_name request.
  auto got = std::make_shared<std::promise<caf::actor>>();
  sys.spawn([=](caf::event_based_actor* self) {
    cluster_api::await_name(self, local_agent(self->system()), "late", 5s)
        .then([=](caf::actor& x) { got->set_value(x); },
              [=](caf::error&) { got->set_value(caf::actor{}); });
  });
  auto fut = got->get_future();
  REQUIRE(fut.wait_for(test::bound) == std::future_status::ready);
  CHECK(fut.get() == *counter);
}

TEST_CASE_METHOD(member_fixture, "await_member returns a connected member "
                                 "and node_down for one that does not exist") {
  REQUIRE_FALSE(cluster.start(1));
  join("worker", false);
  auto m = self_node->await_member("n1", 20s);
  REQUIRE(m);
  CHECK(m->name == "n1");
  CHECK(m->agent);
  auto nobody = self_node->await_member("nobody", 1s);
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error() == errc::node_down);
}

TEST_CASE_METHOD(member_fixture, "monitor_node tells an actor once when the "
                                 "member goes down, and at once for a member "
                                 "that is not there") {
  REQUIRE_FALSE(cluster.start(2));
  join();
  auto& sys = self_node->sys().actors();
  auto events = std::make_shared<lines>();
  auto watcher = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto agent = local_agent(self->system());
    cluster_api::monitor_node(self, agent, "n2",
                              caf::actor_cast<caf::actor>(self));
    cluster_api::monitor_node(self, agent, "nobody",
                              caf::actor_cast<caf::actor>(self));
    return {[=](const member_event& e) {
      events->record(e.member.name + " " + to_string(e.kind));
    }};
  });
  REQUIRE(events->wait_for(1));
  CHECK(events->snapshot().front() == "nobody down");
  cluster.signal(1, SIGKILL);
  REQUIRE(events->wait_for(2));
  CHECK(events->snapshot().back() == "n2 down");
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
}
