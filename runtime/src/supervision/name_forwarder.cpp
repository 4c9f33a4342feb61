// The actor behind a stable name. It forwards every message to the current
// incarnation of its child (sender and request id preserved, so replies go
// straight back to the caller) and holds messages, up to a bound, while the
// child restarts. What is lost is exactly what Erlang loses: messages already
// delivered to the mailbox of the incarnation that crashed.

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "core/request_buffer.hpp"
#include "supervision/name_table.hpp"
#include "supervision/supervisor_protocol.hpp"
#include "troupe/atoms.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"

namespace troupe::detail {

namespace {

/// How long a name whose supervisor died waits for a restarted supervisor to
/// adopt it before it fails its buffered requests and disappears.
constexpr auto orphan_grace = std::chrono::seconds(5);

using orphan_timeout_atom = caf::atom_constant<caf::atom("t_orphto")>;

struct forwarder_state {
  enum mode_t { bound, buffering, stopped };
  std::string name;
  caf::actor_addr owner;
  caf::actor target;
  mode_t mode = buffering;
  request_buffer buffer;
  std::shared_ptr<name_table> table;
  uint64_t orphan_token = 0;
  // Per name, looked up once per forwarder (names are few and chosen by
  // this program's specs, not by peers).
  metrics::counter* forwarded = nullptr;
  metrics::counter* buffered = nullptr;
  metrics::counter* refused = nullptr;
};

using forwarder_actor = caf::stateful_actor<forwarder_state>;

caf::actor_addr sender_of(forwarder_actor* self) {
  return caf::actor_cast<caf::actor_addr>(self->current_sender());
}

void fail(forwarder_actor* self, caf::response_promise& rp, errc code) {
  auto& st = self->state;
  if (!rp.async()) {
    rp.deliver(make_error(code, "stable name \"" + st.name + "\""));
    return;
  }
  log::warning("name", "dropped a message sent to \"" + st.name
                         + "\": " + to_string(code) + " (" + advice(code)
                         + ")");
}

caf::result<caf::message> route(forwarder_actor* self, caf::message msg) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  switch (st.mode) {
    case forwarder_state::bound:
      st.forwarded->add();
      rp.delegate(st.target, std::move(msg));
      break;
    case forwarder_state::buffering:
      if (st.buffer.hold(rp, msg)) {
        st.buffered->add();
      } else {
        st.refused->add();
        fail(self, rp, errc::name_buffer_full);
      }
      break;
    case forwarder_state::stopped:
      st.refused->add();
      fail(self, rp, errc::name_not_running);
      break;
  }
  return rp;
}

caf::result<caf::message> route_current(forwarder_actor* self) {
  return route(self, self->current_mailbox_element()->move_content_to_message());
}

void fail_buffered(forwarder_actor* self, errc code) {
  auto& st = self->state;
  if (st.buffer.empty())
    return;
  auto one_way = st.buffer.fail_all(make_error(code, "stable name \""
                                                       + st.name + "\""));
  if (one_way > 0)
    log::warning("name", "dropped " + std::to_string(one_way)
                           + " message(s) sent to \"" + st.name
                           + "\": " + to_string(code) + " (" + advice(code)
                           + ")");
}

void drop_target(forwarder_actor* self) {
  auto& st = self->state;
  if (st.target) {
    self->demonitor(st.target);
    st.target = nullptr;
  }
}

caf::behavior forwarder(forwarder_actor* self, std::string name,
                        caf::actor owner, size_t limit,
                        std::shared_ptr<name_table> table) {
  auto& st = self->state;
  st.name = std::move(name);
  metrics::labels ls{{"name", st.name}};
  st.forwarded = &metrics::get_counter(
    "troupe_named_messages_total",
    "messages a stable name forwarded to its running child", ls);
  st.buffered = &metrics::get_counter(
    "troupe_named_buffered_total",
    "messages a stable name held while its child restarted", ls);
  st.refused = &metrics::get_counter(
    "troupe_named_refused_total",
    "messages to a stable name that failed (buffer full or not running)", ls);
  st.owner = owner.address();
  st.buffer = request_buffer{limit};
  st.table = std::move(table);
  self->monitor(owner);
  self->set_default_handler(
    [self](caf::scheduled_actor*, caf::message_view& view)
      -> caf::result<caf::message> {
      return route(self, view.move_content_to_message());
    });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.target && dm.source == st.target.address()) {
      // The child died; its supervisor will rebind or release the name.
      st.target = nullptr;
      if (st.mode == forwarder_state::bound)
        st.mode = forwarder_state::buffering;
    } else if (dm.source == st.owner) {
      st.table->orphan(st.name, st.owner);
      st.owner = nullptr;
      auto token = ++st.orphan_token;
      self->delayed_send(self, orphan_grace, orphan_timeout_atom::value, token);
    }
  });
  // The state is gone when attached functors run: capture what they need.
  self->attach_functor([table = st.table, name = st.name,
                        addr = self->address()] { table->erase(name, addr); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    fail_buffered(self, errc::name_not_running);
    self->quit(em.reason);
  });
  return {
    [self](bind_atom, caf::actor& child) -> caf::result<caf::message> {
      auto& st = self->state;
      if (sender_of(self) != st.owner)
        return route_current(self);
      drop_target(self);
      st.target = std::move(child);
      self->monitor(st.target);
      st.mode = forwarder_state::bound;
      // Buffered messages go first, in arrival order, before anything new.
      st.buffer.flush_to(st.target);
      return caf::message{};
    },
    [self](unbind_atom, bool final) -> caf::result<caf::message> {
      auto& st = self->state;
      if (sender_of(self) != st.owner)
        return route_current(self);
      drop_target(self);
      st.mode = final ? forwarder_state::stopped : forwarder_state::buffering;
      if (final)
        fail_buffered(self, errc::name_not_running);
      return caf::message{};
    },
    [self](adopt_atom) -> caf::result<caf::message> {
      auto& st = self->state;
      auto sender = sender_of(self);
      if (!sender || st.table->owner_of(st.name) != sender)
        return route_current(self);
      st.owner = sender;
      ++st.orphan_token;
      self->monitor(sender);
      return caf::message{};
    },
    [self](orphan_timeout_atom, uint64_t token) -> caf::result<caf::message> {
      auto& st = self->state;
      if (sender_of(self) != self->address())
        return route_current(self);
      if (token == st.orphan_token && !st.owner) {
        fail_buffered(self, errc::name_not_running);
        self->quit(caf::exit_reason::normal);
      }
      return caf::message{};
    },
  };
}

} // namespace

caf::actor spawn_name_forwarder(caf::actor_system& sys, std::string name,
                                caf::actor owner, size_t buffer,
                                std::shared_ptr<name_table> table) {
  return sys.spawn<caf::hidden>(forwarder, std::move(name), std::move(owner),
                                buffer, std::move(table));
}

} // namespace troupe::detail
