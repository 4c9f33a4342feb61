// troupe::system: a caf::actor_system prepared by the core layer, plus the
// supervision trees it started and its stable names.

#include "troupe/system.hpp"

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "core/prepare.hpp"
#include "supervision/name_table.hpp"
#include "supervision/supervisor_actor.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"

namespace troupe {

config& system::prepare(config& cfg) {
  detail::prepare_core(cfg);
  cfg.add_message_type<child_info>("troupe.child_info");
  cfg.add_message_type<child_counts>("troupe.child_counts");
  return cfg;
}

system::system(config& cfg) : cfg_(prepare(cfg)), sys_(cfg) {
  // nop
}

system::~system() {
  shutdown(); // system_stop.cpp
}

caf::expected<supervisor> system::start(supervisor_spec spec, std::string name,
                                        caf::timespan timeout) {
  auto hdl = spawn_supervisor(sys_, std::move(spec), std::move(name));
  // The supervisor starts its children before it handles any message, so an
  // answer to this request means the tree is up; a down_msg means it failed.
  caf::scoped_actor self{sys_};
  self->monitor(hdl);
  caf::error err;
  bool answered = false;
  self->request(hdl, timeout, count_children_atom::value)
    .receive([&](child_counts&) { answered = true; },
             [&](caf::error& e) { err = std::move(e); });
  if (answered) {
    self->demonitor(hdl);
    started_.push_back(hdl);
    // A nested supervisor starts its own children after its parent moved
    // on; wait for every level so that the whole tree (and its stable names)
    // is up when start returns.
    std::vector<caf::actor> pending{hdl};
    while (!pending.empty()) {
      auto sup = std::move(pending.back());
      pending.pop_back();
      self->request(sup, timeout, which_children_atom::value)
        .receive(
          [&](std::vector<child_info>& xs) {
            for (auto& x : xs)
              if (x.is_supervisor && x.handle)
                pending.push_back(x.handle);
          },
          [](caf::error&) {
            // A nested supervisor that failed is its parent's business now.
          });
    }
    return supervisor{sys_, hdl};
  }
  self->receive([&](caf::down_msg& dm) { err = dm.reason; },
                caf::after(timeout) >> [] {});
  caf::anon_send_exit(hdl, caf::exit_reason::kill);
  return err ? err : make_error(errc::timeout, "supervisor did not start");
}

caf::expected<caf::actor> system::whereis(const std::string& name) const {
  return troupe::whereis(const_cast<caf::actor_system&>(sys_), name);
}

caf::expected<caf::actor> whereis(caf::actor_system& sys, const std::string& name) {
  if (auto hdl = detail::name_table::of(sys)->find(name))
    return hdl;
  return make_error(errc::unknown_name, "\"" + name + "\"");
}

} // namespace troupe
