// The `troupe` tool: `troupe <command> [options]`. Commands register
// themselves (see cli.hpp); `troupe help` lists them.

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>

#include "troupe/cli.hpp"

namespace troupe::cli {

std::vector<command>& commands() {
  static std::vector<command> xs;
  return xs;
}

std::vector<command>& demos() {
  static std::vector<command> xs;
  return xs;
}

std::string self_path() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return "troupe";
  buf[n] = '\0';
  return buf;
}

namespace {

void usage(std::ostream& out) {
  out << "usage: troupe <command> [options]\n\ncommands:\n";
  auto xs = commands();
  std::sort(xs.begin(), xs.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& c : xs)
    out << "  " << c.name << std::string(12 - std::min<size_t>(c.name.size(), 11), ' ')
        << c.summary << '\n';
  out << "\nrun `troupe <command> --help` for a command's options\n";
}

} // namespace

} // namespace troupe::cli

int main(int argc, char** argv) {
  using namespace troupe::cli;
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help")
      || !std::strcmp(argv[1], "-h")) {
    usage(std::cout);
    return argc < 2 ? 2 : 0;
  }
  for (auto& c : commands())
    if (c.name == argv[1])
      return c.run(argc - 1, argv + 1);
  std::cerr << "troupe: unknown command \"" << argv[1] << "\"\n\n";
  usage(std::cerr);
  return 2;
}
