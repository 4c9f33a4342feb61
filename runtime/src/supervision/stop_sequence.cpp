#include "supervision/stop_sequence.hpp"
#include "supervision/supervisor_protocol.hpp"

#include <algorithm>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/skip.hpp>

#include "troupe/atoms.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

void stop_sequence::init(caf::event_based_actor* self, hooks hs) {
  self_ = self;
  hooks_ = std::move(hs);
}

caf::message_handler stop_sequence::timer() {
  return {
    [this](shutdown_timeout_atom, uint64_t token) {
      if (!active_ || token != token_ || !awaiting_ || queue_.empty())
        return; // the child stopped in time
      log::warning("supervisor", "supervisor \"" + hooks_.owner + "\": child \""
                                   + queue_.front()
                                   + "\" did not stop within its shutdown "
                                     "timeout; killing it");
      self_->send_exit(awaiting_, caf::exit_reason::kill);
    },
  };
}

bool stop_sequence::queued(const std::string& id) const {
  return std::find(queue_.begin(), queue_.end(), id) != queue_.end();
}

void stop_sequence::run(std::deque<std::string> ids,
                        std::function<void()> done) {
  if (active_ && !queue_.empty()) {
    // The child in flight was asked already; its down message ends its turn.
    auto current = queue_.front();
    ids.erase(std::remove(ids.begin(), ids.end(), current), ids.end());
    ids.push_front(std::move(current));
    queue_ = std::move(ids);
    done_ = std::move(done);
    return;
  }
  begin();
  queue_ = std::move(ids);
  done_ = std::move(done);
  next();
}

void stop_sequence::refuse(caf::error err) {
  refusal_ = std::move(err);
}

bool stop_sequence::take(const caf::actor_addr& source) {
  if (!active_ || !awaiting_ || source != awaiting_)
    return false;
  awaiting_ = nullptr;
  if (!queue_.empty())
    queue_.pop_front();
  return true;
}

void stop_sequence::next() {
  while (!queue_.empty()) {
    const auto& id = queue_.front();
    auto child = hooks_.find(id);
    if (!child.handle) {
      queue_.pop_front(); // ended on its own meanwhile
      continue;
    }
    if (awaiting_ == child.handle.address())
      return; // asked already, still waiting for its down message
    awaiting_ = child.handle.address();
    hooks_.stopping(id);
    auto timeout = child.shutdown_timeout;
    if (timeout.count() <= 0) {
      self_->send_exit(child.handle, caf::exit_reason::kill);
    } else {
      self_->send_exit(child.handle, caf::exit_reason::user_shutdown);
      if (timeout != caf::timespan::max())
        self_->delayed_send(self_, timeout, shutdown_timeout_atom::value,
                            ++token_);
    }
    return;
  }
  end();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done)
    done();
  if (!active_ && hooks_.idle)
    hooks_.idle();
}

void stop_sequence::begin() {
  if (active_)
    return;
  active_ = true;
  self_->become(caf::keep_behavior,
                timer().or_else(hooks_.meanwhile));
  // Everything the behavior above does not handle waits (caf::skip) until
  // end() pops it; once the owner is going down it is refused instead.
  self_->set_default_handler(
    [this](caf::scheduled_actor*, caf::message_view&)
      -> caf::result<caf::message> {
      if (!refusal_)
        return caf::skip;
      if (self_->current_message_id().is_request())
        return refusal_;
      return caf::message{}; // one-way: nobody to tell
    });
}

void stop_sequence::end() {
  active_ = false;
  awaiting_ = nullptr;
  self_->unbecome();
  self_->set_default_handler(caf::print_and_drop);
}

} // namespace troupe::detail
