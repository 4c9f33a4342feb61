#include "tools/command_line.hpp"

#include <unistd.h>

#include <iostream>

namespace troupe::tools {

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
