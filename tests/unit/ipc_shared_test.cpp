// Specification of co-located zero-copy sharing: a large immutable payload
// travels through several actors of one node without being copied.

#include <atomic>
#include <cstring>

#include <catch2/catch.hpp>

#include <troupe/shared_payload.hpp>

#include "test_support.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

/// Counts every copy of itself; a zero-copy path leaves the count at 0.
struct instrumented {
  static inline std::atomic<int> copies{0};
  std::vector<char> data;
  instrumented() = default;
  explicit instrumented(size_t n) : data(n, 'x') {
  }
  instrumented(const instrumented& other) : data(other.data) {
    ++copies;
  }
  instrumented(instrumented&&) noexcept = default;
  instrumented& operator=(const instrumented& other) {
    data = other.data;
    ++copies;
    return *this;
  }
  instrumented& operator=(instrumented&&) noexcept = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, instrumented& x) {
  return f(caf::meta::type_name("instrumented"), x.data);
}

using hop_atom = caf::atom_constant<caf::atom("hop")>;

// Each hop records the address of the payload's bytes it sees, then passes
// the same handle on to `next` (re-sending it in a new message).
template <class Payload, class AddrOf>
caf::behavior hop(caf::event_based_actor* self, caf::actor next,
                  std::shared_ptr<std::vector<const void*>> seen,
                  std::shared_ptr<std::mutex> mtx, AddrOf addr_of) {
  return {[=](hop_atom, const Payload& p) {
    {
      std::lock_guard<std::mutex> guard{*mtx};
      seen->push_back(addr_of(p));
    }
    auto rp = self->make_response_promise();
    if (!next)
      rp.deliver(0);
    else
      rp.delegate(next, hop_atom::value, p);
    return rp;
  }};
}

template <class Payload, class AddrOf>
std::vector<const void*> send_through_hops(caf::actor_system& sys,
                                           const Payload& payload, int hops,
                                           AddrOf addr_of) {
  auto seen = std::make_shared<std::vector<const void*>>();
  auto mtx = std::make_shared<std::mutex>();
  caf::actor next;
  std::vector<caf::actor> chain;
  for (int i = 0; i < hops; ++i) {
    next = sys.spawn(hop<Payload, AddrOf>, next, seen, mtx, addr_of);
    chain.push_back(next);
  }
  auto r = ask<int>(sys, next, hop_atom::value, payload);
  REQUIRE(r);
  for (auto& a : chain)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  std::lock_guard<std::mutex> guard{*mtx};
  return *seen;
}

} // namespace

TEST_CASE("a shared payload crosses several actors without a copy of its bytes") {
  test_config cfg;
  troupe::system sys{cfg};
  std::vector<char> big(8 * 1024 * 1024, 7);
  shared_bytes payload{std::move(big)};
  const void* origin = payload->data();
  auto seen = send_through_hops(sys.actors(), payload, 4,
                                [](const shared_bytes& p) -> const void* {
                                  return p->data();
                                });
  REQUIRE(seen.size() == 4);
  for (auto* addr : seen)
    CHECK(addr == origin); // the very same buffer at every hop
}

TEST_CASE("sending a shared value never calls the value's copy constructor") {
  test_config cfg;
  troupe::system sys{cfg};
  auto payload = make_shared_value<instrumented>(size_t{1024 * 1024});
  instrumented::copies = 0;
  auto seen = send_through_hops(sys.actors(), payload, 5,
                                [](const shared<instrumented>& p) -> const void* {
                                  return p->data.data();
                                });
  REQUIRE(seen.size() == 5);
  for (auto* addr : seen)
    CHECK(addr == payload->data.data());
  CHECK(instrumented::copies.load() == 0);
}

TEST_CASE("a plain value in a message is copied when re-sent, which shared avoids") {
  // The baseline that makes the two specifications above meaningful: the
  // same route with the value itself in the message copies it.
  test_config cfg;
  troupe::system sys{cfg};
  instrumented value{1024};
  instrumented::copies = 0;
  send_through_hops(sys.actors(), value, 3,
                    [](const instrumented& p) -> const void* {
                      return p.data.data();
                    });
  CHECK(instrumented::copies.load() > 0);
}

TEST_CASE("a shared value round-trips through serialization for remote sends") {
  test_config cfg;
  troupe::system sys{cfg};
  shared_bytes payload{std::vector<char>(100, 3)};
  std::vector<char> buf;
  caf::binary_serializer sink{sys.actors(), buf};
  REQUIRE(!sink(payload));
  shared_bytes copy;
  caf::binary_deserializer source{sys.actors(), buf};
  REQUIRE(!source(copy));
  REQUIRE(copy);
  CHECK(copy->size() == 100);
  CHECK((*copy)[99] == 3);
  CHECK(copy->data() != payload->data()); // another node owns its own copy
}
