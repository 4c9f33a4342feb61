#pragma once
// Who is in `troupe demo chat` and what each user reported: the users (on
// time and late), the members of every room, and the sums the progress
// line and the check read.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "demos/chat_user.hpp"

namespace troupe::demos::chat {

/// "alice", "bob", ... then "userN".
std::string user_name(size_t i);

/// "lobby", "dev", ... then "roomN".
std::string room_name(size_t i);

/// "a, b, c".
std::string join(const std::vector<std::string>& xs);

struct user_info {
  std::string name;
  std::string node;
  caf::actor handle;
  std::vector<std::string> rooms;
  chat_report report; ///< as last polled
  /// Its actor ended (its node left): it is no longer polled, and its
  /// streams are checked as cut short (see chat_verdict.hpp).
  bool lost = false;
  std::string lost_why;
};

struct roster {
  std::vector<user_info> users; ///< on time
  std::unique_ptr<user_info> late;
  std::map<std::string, std::vector<std::string>> members; ///< room -> users

  /// Messages the on-time users received.
  uint64_t received() const;

  /// Messages the on-time users posted.
  uint64_t posted() const;

  /// Deliveries to the on-time users when each posts numbers 1..upto.
  uint64_t expected(uint64_t upto) const;

  /// What `u` received in `room` from `sender`, if anything.
  const chat_stream* stream(const user_info& u, const std::string& room,
                            const std::string& sender) const;

  /// The user named `name` (on time or late), or nullptr.
  const user_info* find(const std::string& name) const;

  /// Whether `sender` is a user that is still there.
  bool alive(const std::string& sender) const;

  /// Whether every user that is still there has the last message (number
  /// `messages`) of every sender that is still there, in each of its rooms
  /// (the late user too): what the run waits for.
  bool done(uint64_t messages) const;
};

} // namespace troupe::demos::chat
