#pragma once
// Shared fixtures for the unit tests: a troupe::system with enough scheduler
// threads for tests that park one, an event recorder with bounded waits, and
// small worker behaviors that fail in each of the ways a child can fail.

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

namespace troupe::test {

using namespace std::chrono_literals;

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using link_atom = caf::atom_constant<caf::atom("link")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

/// Upper bound for every wait in the tests: generous, because CI machines
/// are shared; a passing test never waits for it.
constexpr auto bound = std::chrono::seconds(20);

struct counter_state {
  int64_t total = 0;
};

/// A counter that fails on request: `crash` throws, `fail` quits with an
/// error, `stop` quits normally, `link` links it to another actor.
inline caf::behavior worker(caf::stateful_actor<counter_state>* self) {
  return {
    [=](add_atom, int64_t x) { self->state.total += x; },
    [=](get_atom) { return self->state.total; },
    [=](ping_atom) { return self->address(); },
    [=](crash_atom) { throw std::runtime_error("worker crashed on purpose"); },
    [=](fail_atom) { self->quit(caf::sec::runtime_error); },
    [=](stop_atom) { self->quit(); },
    [=](link_atom, caf::actor& other) { self->link_to(other); },
  };
}

/// A worker that ignores the shutdown request and must be killed.
inline caf::behavior stubborn(caf::event_based_actor* self) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return {[](get_atom) { return int64_t{0}; }};
}

inline caf::behavior tagged(caf::event_based_actor*, int tag) {
  return {[tag](get_atom) { return int64_t{tag}; }};
}

struct test_config : config {
  test_config() {
    set("scheduler.max-threads", 4);
    set("troupe.log-level", std::getenv("TROUPE_TEST_LOG") ? std::getenv("TROUPE_TEST_LOG") : "quiet");
  }
};

/// Collects supervisor events from any thread.
class event_log {
public:
  std::function<void(const supervisor_event&)> hook() {
    return [this](const supervisor_event& ev) {
      std::lock_guard<std::mutex> guard{mtx_};
      events_.push_back(ev);
      cv_.notify_all();
    };
  }

  /// Waits (bounded) until `pred(events)` holds; false on timeout.
  bool wait(std::function<bool(const std::vector<supervisor_event>&)> pred) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, bound, [&] { return pred(events_); });
  }

  /// Waits until `n` events of `kind` for `child` were seen.
  bool wait_count(supervisor_event::kind_t kind, const std::string& child,
                  size_t n) {
    return wait([&](auto& xs) { return count_in(xs, kind, child) >= n; });
  }

  size_t count(supervisor_event::kind_t kind, const std::string& child) {
    std::lock_guard<std::mutex> guard{mtx_};
    return count_in(events_, kind, child);
  }

  /// The child ids of all events of `kind`, in order.
  std::vector<std::string> ids(supervisor_event::kind_t kind) {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<std::string> result;
    for (auto& ev : events_)
      if (ev.kind == kind)
        result.push_back(ev.child_id);
    return result;
  }

  std::vector<supervisor_event> snapshot() {
    std::lock_guard<std::mutex> guard{mtx_};
    return events_;
  }

  void clear() {
    std::lock_guard<std::mutex> guard{mtx_};
    events_.clear();
  }

private:
  static size_t count_in(const std::vector<supervisor_event>& xs,
                         supervisor_event::kind_t kind,
                         const std::string& child) {
    size_t n = 0;
    for (auto& ev : xs)
      if (ev.kind == kind && (child.empty() || ev.child_id == child))
        ++n;
    return n;
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<supervisor_event> events_;
};

/// A gate that a test opens; waits are bounded.
class gate {
public:
  void open() {
    std::lock_guard<std::mutex> guard{mtx_};
    open_ = true;
    cv_.notify_all();
  }
  bool wait_open() {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, bound, [&] { return open_; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Blocking request helper for tests: the reply of type T or the error.
template <class T, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const caf::actor& dest,
                     Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<T> result{caf::error{}};
  self->request(dest, bound, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// The handle of child `id` under `sup`, or an invalid handle.
inline caf::actor child_handle(supervisor& sup, const std::string& id) {
  auto xs = sup.which_children();
  if (!xs)
    return {};
  for (auto& x : *xs)
    if (x.id == id)
      return x.handle;
  return {};
}

/// Waits until `hdl` has terminated; returns its exit reason (nothing if it
/// did not terminate within the bound).
inline std::optional<caf::error> await_down(caf::actor_system& sys,
                                            const caf::actor& hdl) {
  caf::scoped_actor self{sys};
  self->monitor(hdl);
  std::optional<caf::error> result;
  self->receive([&](caf::down_msg& dm) { result = dm.reason; },
                caf::after(bound) >> [] {});
  return result;
}

} // namespace troupe::test
