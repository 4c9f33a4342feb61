#pragma once
// Subcommands and demos of the `troupe` tool register themselves here, so
// that each lives in its own file and main.cpp never changes.

#include <string>
#include <vector>

namespace troupe::cli {

/// A subcommand gets the arguments after its name (argv[0] is the name).
using command_fn = int (*)(int argc, char** argv);

struct command {
  std::string name;
  std::string summary;
  command_fn run;
};

std::vector<command>& commands();
std::vector<command>& demos();

struct register_command {
  register_command(std::string name, std::string summary, command_fn run) {
    commands().push_back({std::move(name), std::move(summary), run});
  }
};

struct register_demo {
  register_demo(std::string name, std::string summary, command_fn run) {
    demos().push_back({std::move(name), std::move(summary), run});
  }
};

/// Path of the running `troupe` binary (to start node processes).
std::string self_path();

} // namespace troupe::cli
