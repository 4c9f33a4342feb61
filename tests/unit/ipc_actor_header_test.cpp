// troupe/actor.hpp is enough for code that declares messages and
// behaviors: this file includes nothing else of troupe's (it is kept out of
// the unity build, so no other file's includes come before it).

#include <troupe/actor.hpp>

#include <catch2/catch.hpp>

namespace {

using twice_atom = caf::atom_constant<caf::atom("twice")>;

caf::behavior doubler(caf::event_based_actor*) {
  return {[](twice_atom, int x) { return 2 * x; }};
}

} // namespace

TEST_CASE("troupe/actor.hpp alone declares a behavior and spawns it, "
          "bounded too") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto plain = sys.spawn(doubler);
  auto bounded = troupe::spawn_bounded(sys, {.capacity = 4, .name = "doubler"},
                                       doubler);
  caf::scoped_actor self{sys};
  for (auto& a : {plain, bounded}) {
    int answer = 0;
    self->request(a, std::chrono::seconds(20), twice_atom::value, 21)
      .receive([&](int x) { answer = x; }, [](caf::error&) {});
    CHECK(answer == 42);
  }
  CHECK(troupe::make_error(troupe::errc::mailbox_full).category()
        == troupe::errc_category);
  self->send_exit(plain, caf::exit_reason::user_shutdown);
  self->send_exit(bounded, caf::exit_reason::user_shutdown);
}
