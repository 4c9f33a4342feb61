// Stopping a troupe::system never hangs on an actor that sys.spawn started
// and nobody stopped: it waits troupe.stop-grace, names it and stops it.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace troupe;

namespace {

/// Ends the process if the scope it guards is not left within `limit`:
/// a hang must fail the test, not block CTest until its own timeout.
class watchdog {
public:
  explicit watchdog(std::chrono::seconds limit) {
    thread_ = std::thread{[this, limit] {
      std::unique_lock<std::mutex> guard{mtx_};
      if (!cv_.wait_for(guard, limit, [this] { return done_; })) {
        std::fputs("watchdog: the system did not stop in time (hang at "
                   "exit)\n",
                   stderr);
        std::_Exit(3);
      }
    }};
  }
  ~watchdog() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

struct stop_config : test::test_config {
  stop_config() {
    set("troupe.stop-grace", caf::timespan{100ms});
  }
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// A forgotten periodic actor: its own delayed message keeps it alive after
/// every handle to it is gone, so CAF alone waits for it forever.
caf::behavior heartbeat(caf::event_based_actor* self) {
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) { self->delayed_send(self, 20ms, tick_atom::value); }};
}

/// An actor class: the report names it by its type.
class ticker : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;
  caf::behavior make_behavior() override {
    send(this, tick_atom::value);
    return {[this](tick_atom) { delayed_send(this, 20ms, tick_atom::value); }};
  }
};

caf::behavior stubborn(caf::event_based_actor* self) {
  self->set_exit_handler([](caf::exit_msg&) {}); // refuses user_shutdown
  return heartbeat(self);
}

caf::behavior one_shot(caf::event_based_actor* self) {
  return {[self](int32_t) { self->quit(); }};
}

size_t count_of(const stop_report& r, const std::string& part) {
  size_t n = 0;
  for (auto& [name, count] : r.by_type)
    if (name.find(part) != std::string::npos)
      n += count;
  return n;
}

} // namespace

TEST_CASE("stopping the system names and stops the actors sys.spawn started "
          "that still run") {
  stop_config cfg;
  troupe::system sys{cfg};
  sys.spawn(heartbeat);
  sys.spawn<ticker>();
  sys.spawn<ticker>();
  watchdog guard{20s};
  auto start = std::chrono::steady_clock::now();
  auto report = sys.shutdown();
  CHECK(report.stopped == 3);
  CHECK(count_of(report, "ticker") == 2);
  CHECK(report.others == 0);
  // One grace period (100ms) and the stop, not CAF's wait without end.
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(sys.shutdown().stopped == 0); // idempotent
}

TEST_CASE("an actor that ignores user_shutdown is killed after a second grace "
          "period") {
  stop_config cfg;
  troupe::system sys{cfg};
  sys.spawn(stubborn);
  watchdog guard{20s};
  CHECK(sys.shutdown().stopped == 1);
}

TEST_CASE("actors that ended by themselves are not reported") {
  stop_config cfg;
  troupe::system sys{cfg};
  auto a = sys.spawn(one_shot);
  {
    caf::scoped_actor self{sys.actors()};
    self->monitor(a);
    self->send(a, int32_t{1});
    bool down = false;
    self->receive([&](caf::down_msg&) { down = true; },
                  caf::after(10s) >> [] {});
    REQUIRE(down);
  }
  watchdog guard{20s};
  auto report = sys.shutdown();
  CHECK(report.stopped == 0);
  CHECK(report.by_type.empty());
}

TEST_CASE("destroying a system with a forgotten actor returns") {
  watchdog guard{20s};
  stop_config cfg;
  {
    troupe::system sys{cfg};
    sys.spawn(heartbeat);
  } // CAF alone would wait here forever
  SUCCEED("the system's destructor returned");
}
