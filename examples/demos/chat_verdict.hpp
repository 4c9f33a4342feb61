#pragma once
// The check and the summary of `troupe demo chat`: every user got every
// message of its rooms exactly once and in each sender's order, and the
// late user a gap-free tail of every sender.
//
// When a worker node leaves during the run (--leave-node), its users end
// with it: they are reported as lost and not checked as receivers. What
// the others got from a lost sender is checked as cut short: a gap-free
// prefix (#1..#k, each once, in order), since the lost sender posted no
// more; k may differ between receivers (the posts in flight when the node
// left reach some and not others). That is what chat loses when a node
// leaves; everything between users that stay is still checked complete.

#include <cstdint>
#include <string>
#include <vector>

#include "demos/chat_roster.hpp"

namespace troupe::demos::chat {

/// What the check found.
struct verdict {
  uint64_t complete = 0;   ///< (user, room, sender) streams that are right
  uint64_t incomplete = 0; ///< streams with messages missing
  uint64_t missing = 0;    ///< messages missing in them
  uint64_t disorder = 0;   ///< duplicates, gaps and reorderings seen
  uint64_t unexpected = 0; ///< streams from rooms or senders not joined
  uint64_t cut = 0;        ///< streams from lost senders, prefixes as due
  uint64_t lost = 0;       ///< users lost with the node that left
  uint64_t lost_wrongly = 0; ///< users lost although their node stayed
  bool late_ok = true;
  uint64_t late_from = 0;  ///< highest first number the late user got
  std::vector<std::string> examples;

  bool ok() const {
    return incomplete == 0 && disorder == 0 && unexpected == 0 && late_ok
           && lost_wrongly == 0;
  }

  void example(std::string text) {
    if (examples.size() < 8)
      examples.push_back(std::move(text));
  }
};

/// Checks what every user reported; `messages` is what each sender posted
/// per room; `left_node` the worker that left during the run (empty: none).
verdict check(const roster& r, uint64_t messages, const std::string& left_node);

/// The figures of the summary line.
struct run_figures {
  uint64_t rooms = 0;
  uint64_t messages = 0; ///< per user and room
  size_t workers = 0;
  uint64_t delivered = 0;
  uint64_t expected = 0;
  double seconds = 0;
  std::string left_node; ///< the worker that left during the run, if any
};

/// One line per room, the problems found, and the summary line.
void report(const roster& r, const verdict& v, const run_figures& f);

} // namespace troupe::demos::chat
