// `troupe demo NAME [options]`, `troupe demo --list`: the demos are a
// program of their own (troupe-demos, with the demos' types on its nodes);
// this command runs the one installed next to the tool.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "commands.hpp"

namespace troupe::tool {
namespace {

int run_demo(const std::vector<std::string>& args) {
  auto demos = std::filesystem::path{tools::self_path()}.parent_path()
               / "troupe-demos";
  std::vector<std::string> all{demos.string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  std::cerr << "error: cannot run " << demos.string() << ": "
            << std::strerror(errno)
            << "\nthe demos are a program of their own, built with the "
               "project unless -DTROUPE_BUILD_EXAMPLES=OFF\n";
  return 1;
}

} // namespace

tools::command add_demo_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
    "demo", "run a demo workload on an embedded cluster (troupe demo --list; "
            "troupe demo NAME --help)");
  // Every argument, --help included, is troupe-demos's to read.
  sub->prefix_command();
  sub->set_help_flag();
  return {sub, [sub] { return run_demo(sub->remaining()); }};
}

} // namespace troupe::tool
