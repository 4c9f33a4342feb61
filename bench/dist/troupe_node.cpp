// `bench_dist_troupe node --listen HOST:PORT --name NAME [--seeds LIST]`: a
// worker node like `troupe node` (same runtime, default settings) that
// registers the benchmark's types instead of the demos'. troupe's
// local_cluster starts it exactly as it starts `troupe node`.

#include "dist/troupe_node.hpp"

#include <iostream>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

#include "dist/troupe_types.hpp"
#include "troupe/serve_node.hpp"

namespace bench::dist {

int run_node(int argc, char** argv) {
  // Translate the short flags local_cluster passes into CAF's form.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "error: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--listen")
      args.push_back("--troupe.listen=" + value());
    else if (arg == "--seeds")
      args.push_back("--troupe.seeds=" + value());
    else if (arg == "--name")
      args.push_back("--troupe.node-name=" + value());
    else
      args.push_back(arg);
  }
  std::vector<char*> cargv{argv[0]};
  for (auto& a : args)
    cargv.push_back(a.data());
  troupe::config cfg;
  if (!cfg.load(static_cast<int>(cargv.size()), cargv.data(), std::cerr))
    return cfg.exit_code();
  register_types(cfg);
  return troupe::cli::serve_node(cfg);
}

} // namespace bench::dist
