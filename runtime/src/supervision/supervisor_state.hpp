#pragma once
// The state of one supervisor actor and the functions its source files share:
// supervisor_actor.cpp (the actor: spawning, init, termination),
// supervisor_restart.cpp (child exits and carrying out the restart policy) and
// supervisor_api.cpp (OTP's supervisor API). The rules live in
// restart_policy.hpp, the ordered stop in stop_sequence.hpp. Internal.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "supervision/name_table.hpp"
#include "supervision/restart_policy.hpp"
#include "supervision/stop_sequence.hpp"
#include "troupe/supervisor.hpp"

namespace troupe::detail::sup {

/// "Not found" for the index lookups below.
inline constexpr size_t npos = static_cast<size_t>(-1);

/// One child spec and the incarnation that runs for it, if any.
struct child_slot {
  child_spec spec;
  caf::actor handle; ///< invalid while the child is not running
  caf::actor forwarder; ///< behind the stable name, if the spec has one
  bool dynamic = false; ///< started from the simple_one_for_one template
};

/// Everything one supervisor actor knows: its spec, its children in start
/// order, its restart history and the stop sequence in progress.
struct supervisor_state {
  std::shared_ptr<const supervisor_spec> spec;
  std::string name;
  caf::actor_addr parent;
  std::shared_ptr<name_table> names;
  std::vector<child_slot> children; // start order
  supervision::restart_window restarts{0, caf::timespan{0}};
  uint64_t dynamic_seq = 0;
  stop_sequence stops;
  // Set once the supervisor itself is terminating.
  bool going_down = false;
  caf::error terminating;
  // Child exits that arrived during a stop sequence: down messages go to the
  // down handler, which CAF's skip cannot defer, so they wait here.
  std::deque<std::pair<caf::actor_addr, caf::error>> deferred_exits;
  // Children whose link to us still stands; their exit_msg is expected and
  // ignored (the down_msg carries the same news).
  std::set<caf::actor_addr> linked;
};

using sup_actor = caf::stateful_actor<supervisor_state>;

// -- children (supervisor_state.cpp) ------------------------------------------

std::string quoted(const std::string& x);

/// Reports `kind` to the log and to the spec's on_event hook.
void emit(sup_actor* self, supervisor_event::kind_t kind, const std::string& id,
          caf::actor child = {}, caf::error reason = {});

size_t find_id(sup_actor* self, const std::string& id);

/// The slot whose running child has address `addr`.
size_t find_addr(sup_actor* self, const caf::actor_addr& addr);

/// Parks the child's stable name (it buffers until the next bind), or
/// releases it for good when `final`.
void release_name(sup_actor* self, child_slot& slot, bool final);

/// Drops a spec and releases its name.
void erase_slot(sup_actor* self, size_t idx);

/// The ids of the running children, newest first: the order in which a
/// terminating supervisor stops them.
std::deque<std::string> running_ids_reversed(sup_actor* self);

// -- the actor (supervisor_actor.cpp) -----------------------------------------

/// Starts the child of slot `idx` (binding its stable name first).
caf::error start_slot(sup_actor* self, size_t idx);

/// Stops every child in reverse start order, then quits with `reason`.
void terminate_all(sup_actor* self, caf::error reason);

// -- restarts (supervisor_restart.cpp) ----------------------------------------

/// The down handler: a child stopped by the stop sequence, or a child that
/// ended on its own and is restarted (with its siblings) as the strategy
/// says, or makes the supervisor give up when the intensity is exceeded.
void on_child_down(sup_actor* self, caf::down_msg& em);

/// Handles the child exits that waited for a stop sequence to end.
void replay_deferred_exits(sup_actor* self);

/// Notes a restart of `id` whose start failed with `reason` and tries again
/// through the mailbox, unless that exceeds the intensity.
void schedule_retry(sup_actor* self, const std::string& id,
                    const caf::error& reason);

/// The handler of those retries; they wait while children stop.
caf::message_handler retries(sup_actor* self);

// -- OTP's API (supervisor_api.cpp) -------------------------------------------

/// which_children and count_children: answered even while children stop.
caf::message_handler queries(sup_actor* self);

/// The requests that change the children; they wait while children stop.
caf::message_handler requests(sup_actor* self);

} // namespace troupe::detail::sup
