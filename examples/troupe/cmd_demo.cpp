// `troupe demo NAME`: runs one demo workload; `troupe demo --list`.

#include <algorithm>
#include <cstring>
#include <iostream>

#include "troupe/cli.hpp"

namespace troupe::cli {
namespace {

void list(std::ostream& out) {
  auto xs = demos();
  std::sort(xs.begin(), xs.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  out << "demos:\n";
  for (auto& d : xs)
    out << "  " << d.name << std::string(14 - std::min<size_t>(d.name.size(), 13), ' ')
        << d.summary << '\n';
  out << "\nrun `troupe demo NAME --help` for a demo's options\n";
}

int run_demo(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--list") || !std::strcmp(argv[1], "--help")) {
    list(std::cout);
    return argc < 2 ? 2 : 0;
  }
  for (auto& d : demos())
    if (d.name == argv[1])
      return d.run(argc - 1, argv + 1);
  std::cerr << "troupe demo: unknown demo \"" << argv[1] << "\"\n\n";
  list(std::cerr);
  return 2;
}

register_command reg{"demo", "run a demo workload (troupe demo --list)", run_demo};

} // namespace
} // namespace troupe::cli
