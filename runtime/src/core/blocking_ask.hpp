#pragma once
// One blocking request from a thread that is not an actor (the public
// blocking APIs: supervisor, node, system): the reply, or the error.

#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/timespan.hpp>

namespace troupe::detail {

/// Waits at most `timeout` for a reply of type T to `xs...`.
template <class T, class... Ts>
caf::expected<T> blocking_ask(caf::actor_system& sys, const caf::actor& dest,
                              caf::timespan timeout, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<T> result{T{}};
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// Like blocking_ask for requests answered with an empty reply.
template <class... Ts>
caf::error blocking_call(caf::actor_system& sys, const caf::actor& dest,
                         caf::timespan timeout, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::error result;
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .receive([] {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace troupe::detail
