#pragma once
// The driver thread waits for a workload's completion message with a bound:
// a benchmark that hangs should fail loudly, not stall the whole suite.

#include <chrono>
#include <stdexcept>
#include <string>

#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

namespace bench {

constexpr auto await_bound = std::chrono::seconds(120);

/// Receives one message matching `handler` on `self`, or throws.
template <class F>
void await(caf::scoped_actor& self, const std::string& what, F handler) {
  bool timed_out = false;
  self->receive(handler,
                caf::after(await_bound) >> [&] { timed_out = true; });
  if (timed_out)
    throw std::runtime_error(what + ": no completion within "
                             + std::to_string(await_bound.count()) + " s");
}

} // namespace bench
