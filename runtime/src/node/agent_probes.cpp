// Suspicion needs evidence (SWIM's indirect probes): while a member is
// suspect, this node pings it directly and asks up to k other members to
// ping it too; any answer is evidence that it lives, and only a whole round
// without one lets the downing policy mark it down (failure_detector.hpp).
// A member that only this node cannot hear (a one-way loss, a congested
// link) is then answered for by the others instead of being downed on this
// node's word.
//
// Both requests are for members only: a probe makes this node send a ping,
// so one from anyone else is refused, and the pings it runs for others are
// bounded (max_probes_served).

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "node/agent_protocol.hpp"
#include "node/agent_state.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

namespace {

/// Pings run for other members at once, at most.
constexpr size_t max_probes_served = 64;

/// How long a probe round waits for answers: half the suspicion's timeout,
/// so that a failed round is known before the suspicion may end in `down`.
caf::timespan probe_timeout(const agent_settings& s) {
  return std::max<caf::timespan>(s.suspect_timeout / 2,
                                 std::chrono::milliseconds(100));
}

/// A helper's own ping waits less than the asker waits for the helper, so
/// that its "no answer" arrives in time.
caf::timespan helper_ping_timeout(const agent_settings& s) {
  return probe_timeout(s) * 2 / 3;
}

/// The state of one round, shared by its pending answers.
struct probe_round_state {
  std::string target;
  uint64_t incarnation = 0;
  uint32_t round = 0;
  size_t pending = 0;
  size_t helpers = 0;
  bool answered = false;
};

/// The target of `r` as this node has it, if the round still counts (same
/// incarnation, same suspicion).
peer* round_target(agent_actor* self, const probe_round_state& r) {
  auto* p = self->state.members.find(r.target);
  if (!p || p->info.incarnation != r.incarnation || p->probe_round != r.round)
    return nullptr;
  return p;
}

void probe_answered(agent_actor* self, probe_round_state& r, bool ack,
                    bool direct, const std::string& via) {
  auto* p = round_target(self, r);
  if (p && ack && !r.answered) {
    r.answered = true;
    auto now = std::chrono::steady_clock::now();
    // An answer of its own is direct; one through a helper says it lives,
    // not that this node hears it (so it does not defend it in a contest).
    if (direct)
      membership::heard_from(*p, now);
    else
      p->last_seen = now;
    if (self->state.probe_log.allow())
      log::info("membership",
                "suspect " + r.target + " answered a probe "
                  + (direct ? std::string{"directly"} : "through " + via)
                  + ": it is alive" + self->state.probe_log.suppressed_note());
  }
  if (--r.pending > 0 || !p)
    return;
  p->probing = false;
  if (!r.answered) {
    p->probes_failed = true;
    p->probe_helpers = r.helpers;
  }
}

} // namespace

void probe_suspect(agent_actor* self, const std::string& name) {
  auto& st = self->state;
  auto* p = st.members.find(name);
  if (!p || p->probing || p->info.state != member_state::suspect)
    return;
  // Helpers: other members that are up and connected here, taken in turn
  // (a different set each round, so that one broken helper does not fail
  // every round).
  std::vector<std::pair<std::string, caf::actor>> candidates;
  for (auto& [other, q] : st.members.peers())
    if (other != name && q.info.state == member_state::up && q.info.agent)
      candidates.emplace_back(other, q.info.agent);
  auto k = std::min(st.settings.indirect_probes, candidates.size());
  if (!candidates.empty())
    std::rotate(candidates.begin(),
                candidates.begin()
                  + static_cast<std::ptrdiff_t>(st.ticks
                                                % candidates.size()),
                candidates.end());
  candidates.resize(k);
  auto r = std::make_shared<probe_round_state>();
  r->target = name;
  r->incarnation = p->info.incarnation;
  r->round = p->probe_round;
  r->helpers = k;
  r->pending = k + (p->info.agent ? 1 : 0);
  if (r->pending == 0) {
    // Nobody to ask and no connection to it: the round fails at once.
    p->probes_failed = true;
    p->probe_helpers = 0;
    return;
  }
  p->probing = true;
  auto timeout = probe_timeout(st.settings);
  if (p->info.agent)
    self->request(p->info.agent, timeout, ping_atom::value)
      .then([self, r] { probe_answered(self, *r, true, true, {}); },
            [self, r](caf::error&) {
              probe_answered(self, *r, false, true, {});
            });
  for (auto& [helper, agent] : candidates)
    self->request(agent, timeout, probe_atom::value, name)
      .then(
        [self, r, helper = helper](bool ack) {
          probe_answered(self, *r, ack, false, helper);
        },
        [self, r, helper = helper](caf::error&) {
          probe_answered(self, *r, false, false, helper);
        });
}

caf::result<bool> serve_probe(agent_actor* self, const std::string& target) {
  auto& st = self->state;
  std::string asker;
  auto* from = sender_member(self, &asker);
  if (!from || !membership::alive(from->info.state)) {
    refuse(self, "a probe of " + target,
           from ? "from a member that is " + to_string(from->info.state)
                : std::string{"not from a member"});
    return make_error(errc::not_allowed, "probes are for members");
  }
  auto* p = st.members.find(target);
  if (!p || target == asker || !p->info.agent
      || !membership::alive(p->info.state)
      || st.probes_served >= max_probes_served)
    return false;
  ++st.probes_served;
  auto rp = self->make_response_promise();
  auto incarnation = p->info.incarnation;
  self->request(p->info.agent, helper_ping_timeout(st.settings),
                ping_atom::value)
    .then(
      [self, rp, target, incarnation]() mutable {
        --self->state.probes_served;
        // Its answer is direct evidence for this node too.
        if (auto* q = self->state.members.find(target);
            q && q->info.incarnation == incarnation)
          membership::heard_from(*q, std::chrono::steady_clock::now());
        rp.deliver(true);
      },
      [self, rp](caf::error&) mutable {
        --self->state.probes_served;
        rp.deliver(false);
      });
  return rp;
}

caf::result<void> answer_ping(agent_actor* self) {
  auto* from = sender_member(self);
  if (!from || !membership::alive(from->info.state)) {
    refuse(self, "a ping", from ? "from a member that is "
                                    + to_string(from->info.state)
                                : std::string{"not from a member"});
    return make_error(errc::not_allowed, "pings are for members");
  }
  return caf::unit;
}

} // namespace troupe::detail
