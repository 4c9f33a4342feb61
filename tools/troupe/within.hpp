#pragma once
// The watchdog of the commands that ask a node (status, top --seed): a
// node that is paused (SIGSTOP), overloaded or behind a black hole accepts
// the TCP connection in its kernel and then answers nothing, and CAF's
// BASP connect has no bound.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

namespace troupe::tool {

/// Ends the process if `query` has not returned within `limit`: a blocked
/// connect cannot be cancelled, and the actor system cannot be destroyed
/// while one of its threads waits in it.
template <class F>
auto within(std::chrono::duration<double> limit, const std::string& seed,
            F query) {
  std::packaged_task<decltype(query())()> task{std::move(query)};
  auto result = task.get_future();
  std::thread{std::move(task)}.detach();
  if (result.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr,
                 "error: no answer from %s within %.1f s: the node accepted "
                 "no handshake or sent no membership table (is it paused, "
                 "overloaded or firewalled? its log says more; --timeout "
                 "waits longer)\n",
                 seed.c_str(), limit.count());
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

} // namespace troupe::tool
