// The text a joiner with another set of message types gets: which names
// differ, so that the user sees the type to register (or to drop) instead
// of two digests.

#include <algorithm>
#include <iterator>
#include <set>

#include "node/agent_state.hpp"

namespace troupe::detail {

namespace {

/// At most this many names of each side are listed.
constexpr size_t max_listed = 20;

/// Longer names (only a joiner's can be) are cut in the text.
constexpr size_t max_name = 200;

std::string listing(const std::vector<std::string>& xs) {
  std::string result;
  for (size_t i = 0; i < xs.size() && i < max_listed; ++i) {
    if (i > 0)
      result += ", ";
    result += xs[i].substr(0, max_name);
  }
  if (xs.size() > max_listed)
    result += " and " + std::to_string(xs.size() - max_listed) + " more";
  return result;
}

} // namespace

std::string type_set_difference(const std::string& joiner,
                                const std::string& me,
                                const agent_settings& settings,
                                const std::vector<std::string>* names) {
  if (names == nullptr)
    return {};
  std::set<std::string> theirs{names->begin(), names->end()};
  std::set<std::string> mine{settings.type_names.begin(),
                             settings.type_names.end()};
  std::vector<std::string> only_theirs;
  std::set_difference(theirs.begin(), theirs.end(), mine.begin(), mine.end(),
                      std::back_inserter(only_theirs));
  std::vector<std::string> only_mine;
  std::set_difference(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                      std::back_inserter(only_mine));
  std::string result;
  if (!only_theirs.empty())
    result += "; only " + joiner + " registers " + listing(only_theirs);
  if (only_mine.empty())
    return result;
  if (settings.tell_type_names)
    result += "; only " + me + " registers " + listing(only_mine);
  else
    // Unauthenticated peers learn how many, not which.
    result += "; " + me + " registers " + std::to_string(only_mine.size())
              + " types that " + joiner
              + " lacks (named only to peers that proved the cluster secret)";
  return result;
}

} // namespace troupe::detail
