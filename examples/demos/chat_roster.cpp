#include "demos/chat_roster.hpp"

#include <algorithm>

namespace troupe::demos::chat {

std::string user_name(size_t i) {
  static const char* names[] = {"alice", "bob",   "carol",   "dave",  "erin",
                                "frank", "grace", "heidi",   "ivan",  "judy",
                                "mallory", "niaj", "olivia", "peggy", "rupert",
                                "sybil", "trent", "victor",  "walter", "xavier"};
  constexpr size_t n = sizeof(names) / sizeof(names[0]);
  return i < n ? names[i] : "user" + std::to_string(i + 1);
}

std::string room_name(size_t i) {
  static const char* names[] = {"lobby", "dev",   "random", "ops",
                                "music", "games", "books",  "news"};
  constexpr size_t n = sizeof(names) / sizeof(names[0]);
  return i < n ? names[i] : "room" + std::to_string(i + 1);
}

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ", ") + x;
  return result;
}


uint64_t roster::received() const {
  uint64_t n = 0;
  for (auto& u : users)
    n += u.report.received;
  return n;
}

uint64_t roster::posted() const {
  uint64_t n = 0;
  for (auto& u : users)
    n += u.report.posted;
  return n;
}

uint64_t roster::expected(uint64_t upto) const {
  uint64_t n = 0;
  for (auto& [room, xs] : members)
    n += xs.size() * xs.size() * upto;
  return n;
}

const chat_stream* roster::stream(const user_info& u, const std::string& room,
                               const std::string& sender) const {
  for (auto& s : u.report.streams)
    if (s.room == room && s.sender == sender)
      return &s;
  return nullptr;
}

const user_info* roster::find(const std::string& name) const {
  for (auto& u : users)
    if (u.name == name)
      return &u;
  return late && late->name == name ? late.get() : nullptr;
}

bool roster::alive(const std::string& sender) const {
  auto u = find(sender);
  return u && !u->lost;
}

bool roster::done(uint64_t messages) const {
  auto has_all = [&](const user_info& u) {
    if (u.lost)
      return true;
    for (auto& room : u.rooms)
      for (auto& sender : members.at(room)) {
        if (!alive(sender))
          continue;
        auto s = stream(u, room, sender);
        if (!s || s->last < messages)
          return false;
      }
    return true;
  };
  return std::all_of(users.begin(), users.end(), has_all)
         && (!late || has_all(*late));
}

} // namespace troupe::demos::chat
