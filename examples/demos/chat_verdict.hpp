#pragma once
// The check and the summary of `troupe demo chat`: every user got every
// message of its rooms exactly once and in each sender's order, and the
// late user a gap-free tail of every sender.

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
  bool late_ok = true;
  uint64_t late_from = 0;  ///< highest first number the late user got
  std::vector<std::string> examples;

  bool ok() const {
    return incomplete == 0 && disorder == 0 && unexpected == 0 && late_ok;
  }

  void example(std::string text) {
    if (examples.size() < 8)
      examples.push_back(std::move(text));
  }
};

/// Checks what every user reported; `messages` is what each sender posted
/// per room.
verdict check(const roster& r, uint64_t messages);

/// The figures of the summary line.
struct run_figures {
  uint64_t rooms = 0;
  uint64_t messages = 0; ///< per user and room
  size_t workers = 0;
  uint64_t delivered = 0;
  uint64_t expected = 0;
  double seconds = 0;
};

/// One line per room, the problems found, and the summary line.
void report(const roster& r, const verdict& v, const run_figures& f);

} // namespace troupe::demos::chat
