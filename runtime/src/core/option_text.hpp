#pragma once
// The words troupe::config's command line and config file are explained
// with: did-you-mean suggestions, what a value of an option's type looks
// like, and one option's line in the help text. Pure functions on CAF's
// option descriptions, tested in tests/unit/core_config_test.cpp.

#include <string>
#include <string_view>
#include <vector>

#include <caf/config_option.hpp>
#include <caf/config_option_set.hpp>

namespace troupe::core {

/// `x` as a std::string (CAF 0.17 has its own string_view).
inline std::string str(caf::string_view x) {
  return std::string{x.data(), x.size()};
}

/// The name an option is written with on the command line: "help" for
/// CAF's global options, "troupe.listen" for the others.
std::string cli_name(const caf::config_option& opt);

/// Edit distance (insertions, deletions, substitutions, transpositions).
size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a likely
/// typo (or `word` is its last dotted part: "listen" for "troupe.listen");
/// empty otherwise.
std::string closest(std::string_view word,
                    const std::vector<std::string>& candidates);

/// Every option's command-line name.
std::vector<std::string> cli_names(const caf::config_option_set& opts);

/// What a value of `opt` must look like, as the end of a sentence: "needs a
/// duration with a unit (ns, us, ms, s, min, h), e.g. 200ms".
std::string value_hint(const caf::config_option& opt);

/// "A or B", "A, B or C".
std::string either(const std::vector<std::string>& words);

/// One option's entry in the help text: "  --NAME=TYPE" and its description
/// with the default of a bound variable (`opt.get()`) when the description
/// gives none.
std::string help_entry(const caf::config_option& opt);

} // namespace troupe::core
