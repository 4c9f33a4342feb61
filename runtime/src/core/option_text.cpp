#include "core/option_text.hpp"

#include <algorithm>
#include <numeric>

#include <caf/config_value.hpp>

namespace troupe::core {

std::string cli_name(const caf::config_option& opt) {
  if (opt.category() == "global")
    return str(opt.long_name());
  return str(opt.full_name());
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: a typo's swapped letters count once.
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string closest(std::string_view word,
                    const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 4) + 1;
  for (auto& c : candidates) {
    // "--listen" in a program whose option is "troupe.listen".
    auto dot = c.rfind('.');
    if (dot != std::string::npos && std::string_view{c}.substr(dot + 1) == word)
      return c;
    auto dist = edit_distance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

std::vector<std::string> cli_names(const caf::config_option_set& opts) {
  std::vector<std::string> names;
  for (auto& opt : opts)
    names.push_back(cli_name(opt));
  return names;
}

namespace {

bool type_is(const caf::config_option& opt, std::string_view name) {
  return str(opt.type_name()) == name;
}

std::string placeholder(const caf::config_option& opt) {
  auto t = str(opt.type_name());
  if (t == "timespan")
    return "DURATION";
  if (t == "string" || t == "atom")
    return opt.long_name() == "config-file" ? "FILE" : "TEXT";
  if (t.find("int") != std::string::npos)
    return "INT";
  if (t == "real64" || t == "real32")
    return "NUMBER";
  if (t.rfind("list of", 0) == 0)
    return "LIST";
  return "VALUE";
}

} // namespace

std::string value_hint(const caf::config_option& opt) {
  if (type_is(opt, "timespan"))
    return "needs a duration with a unit (ns, us, ms, s, min, h), e.g. 200ms";
  if (type_is(opt, "boolean"))
    return "is a flag: true or false";
  if (type_is(opt, "uint64") || type_is(opt, "uint32") || type_is(opt, "uint16")
      || type_is(opt, "uint8"))
    return "needs a whole number of 0 or more";
  if (str(opt.type_name()).find("int") != std::string::npos)
    return "needs a whole number";
  if (type_is(opt, "real64") || type_is(opt, "real32"))
    return "needs a number";
  if (str(opt.type_name()).rfind("list of", 0) == 0)
    return "needs a comma-separated list (" + str(opt.type_name()) + ")";
  if (type_is(opt, "string") || type_is(opt, "atom"))
    return "needs a text";
  return "needs a value of type " + str(opt.type_name());
}

std::string either(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0)
      out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

std::string help_entry(const caf::config_option& opt) {
  std::string head = "  --" + cli_name(opt);
  if (!opt.is_flag())
    head += "=" + placeholder(opt);
  if (opt.category() == "global" && !opt.short_names().empty())
    head = "  -" + str(opt.short_names()).substr(0, 1) + ", " + head.substr(2);
  auto text = str(opt.description());
  // CAF's words for its global options do not hold for troupe::config.
  if (opt.category() == "global") {
    if (opt.long_name() == "help")
      text = "print this help (to stdout) and exit";
    else if (opt.long_name() == "long-help")
      text = "print this help with CAF's own options too, and exit";
    else if (opt.long_name() == "dump-config")
      text = "print the configuration as loaded (to stdout) and exit";
    else if (opt.long_name() == "config-file")
      text = "read options from FILE first (CAF's format); the command line "
             "wins over it (default: caf-application.ini if it exists)";
  }
  if (text.find("default") == std::string::npos && !opt.is_flag())
    if (auto value = opt.get()) {
      auto shown = caf::to_string(*value);
      if (!shown.empty() && shown != "\"\"")
        text += " (default: " + shown + ")";
    }
  constexpr size_t column = 36;
  if (head.size() + 2 <= column)
    return head + std::string(column - head.size(), ' ') + text + "\n";
  return head + "\n" + std::string(column, ' ') + text + "\n";
}

} // namespace troupe::core
