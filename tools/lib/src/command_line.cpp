#include "tools/command_line.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

namespace troupe::tools {

namespace {

size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// "; did you mean --seed?" for the first unknown option of the command
/// being parsed, if one of its options is close; empty otherwise.
std::string did_you_mean(const CLI::App& app) {
  const CLI::App* cur = &app;
  while (!cur->get_subcommands().empty())
    cur = cur->get_subcommands().front();
  for (auto& extra : cur->remaining()) {
    if (extra.rfind("--", 0) != 0)
      continue;
    auto word = extra.substr(0, extra.find('='));
    std::string best;
    size_t best_distance = std::max<size_t>(2, word.size() / 4) + 1;
    for (auto* opt : cur->get_options()) {
      auto name = opt->get_name();
      if (name.rfind("--", 0) != 0)
        continue;
      if (auto d = distance(word, name); d < best_distance) {
        best_distance = d;
        best = name;
      }
    }
    return best.empty() ? std::string{} : "; did you mean " + best + "?";
  }
  return {};
}

} // namespace

void show_defaults(CLI::App& app) {
  app.option_defaults()->always_capture_default();
}

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    app.exit(e); // prints the help of the (sub)command asked about
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::ExtrasError& e) {
    return usage_error(app, e.what() + did_you_mean(app));
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  }
}

int run_parsed(const CLI::App& app, const std::vector<command>& commands) {
  for (auto& c : commands)
    if (c.app->parsed())
      return c.run();
  std::cerr << app.help();
  return 2;
}

int usage_error(const CLI::App& app, const std::string& what) {
  // Name the subcommand that was being parsed ("troupe cluster up").
  auto name = app.get_name();
  for (auto* cur = &app;;) {
    auto subs = cur->get_subcommands();
    if (subs.empty())
      break;
    cur = subs.front();
    name += " " + cur->get_name();
  }
  std::cerr << "error: " << what << "\nrun `" << name
            << " --help` for the options\n";
  return 2;
}

std::string self_path() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

} // namespace troupe::tools
