// `troupe node`: runs one cluster node until SIGINT/SIGTERM.

#include <iostream>
#include <string>
#include <vector>

#include <troupe/troupe.hpp>

#include "troupe/cli.hpp"
#include "troupe/node_setup.hpp"
#include "troupe/serve_node.hpp"

namespace troupe::cli {
namespace {

/// A type only some nodes register: lets tests build a node whose type set
/// differs (`--troupe.extra-test-type`), to check that such a join is refused.
struct extra_test_type {
  int32_t value = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, extra_test_type& x) {
  return f(caf::meta::type_name("troupe.extra_test_type"), x.value);
}

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct counter_state {
  int64_t total = 0;
};

/// Exported by every `troupe node`: a counter starting at `start`.
caf::behavior counter(caf::stateful_actor<counter_state>* self, int64_t start) {
  self->state.total = start;
  return {
    [self](add_atom, int64_t x) { return self->state.total += x; },
    [self](get_atom) { return self->state.total; },
  };
}

const char* help_text =
  "usage: troupe node [--listen HOST:PORT] [--seeds HOST:PORT,...] [--name NAME]\n"
  "                   [--config FILE] [CAF or troupe options...]\n"
  "  --listen HOST:PORT  address to listen on; port 0 picks a free port\n"
  "                      (default 127.0.0.1:0). The node prints\n"
  "                      \"troupe node NAME listening on HOST:PORT\" when up.\n"
  "  --seeds LIST        comma-separated addresses of running nodes to join;\n"
  "                      none starts a new cluster\n"
  "  --name NAME         the node's name in the cluster (default node-PID)\n"
  "  --config FILE       a config file in CAF's format (troupe { listen=... })\n"
  "  --no-demo-types     register only troupe's own types, not the demos'\n"
  "                      (to join processes built without the demos)\n"
  "  --help              this text plus every CAF and troupe option\n"
  "Exported actor types (remote spawn): echo (answers \"NAME:text\"), counter.\n"
  "Failure detection: --troupe.heartbeat-interval=200ms --troupe.suspect-after=1s\n"
  "  --troupe.down-after=3s. SIGINT or SIGTERM: the node leaves the cluster and\n"
  "  stops its actors in order.\n";

/// Translates the short flags into CAF's --troupe.x=value form.
std::vector<std::string> translate(int argc, char** argv, bool& extra_type,
                                   bool& demo_types, bool& help) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&](const char* flag) -> std::string {
      if (i + 1 >= argc)
        throw std::runtime_error(std::string{flag} + " needs a value");
      return argv[++i];
    };
    if (arg == "--listen")
      args.push_back("--troupe.listen=" + next("--listen"));
    else if (arg == "--seeds")
      args.push_back("--troupe.seeds=" + next("--seeds"));
    else if (arg == "--name")
      args.push_back("--troupe.node-name=" + next("--name"));
    else if (arg == "--config")
      args.push_back("--config-file=" + next("--config"));
    else if (arg == "--troupe.extra-test-type")
      extra_type = true;
    else if (arg == "--no-demo-types")
      demo_types = false;
    else if (arg == "--help" || arg == "-h") {
      help = true;
      args.push_back("--help");
    } else
      args.push_back(arg);
  }
  return args;
}

int run_node(int argc, char** argv) {
  bool extra_type = false;
  bool demo_types = true;
  bool help = false;
  std::vector<std::string> args;
  try {
    args = translate(argc, argv, extra_type, demo_types, help);
  } catch (std::exception& e) {
    std::cerr << "error: " << e.what() << "\n" << help_text;
    return 2;
  }
  if (help)
    std::cout << help_text << "\nall options:\n";
  std::vector<char*> cargv{argv[0]};
  for (auto& a : args)
    cargv.push_back(a.data());
  troupe::config cfg;
  if (extra_type)
    cfg.add_message_type<extra_test_type>("troupe.extra_test_type");
  if (!cfg.load(static_cast<int>(cargv.size()), cargv.data(), std::cerr))
    return cfg.exit_code();
  // Types other nodes may spawn here (the remote-spawn allowlist).
  auto node_name = cfg.node_name();
  cfg.export_type("echo", [node_name](caf::event_based_actor*) -> caf::behavior {
    return {[node_name](const std::string& text) { return node_name + ":" + text; }};
  });
  cfg.export_type("counter", counter);
  if (demo_types)
    apply_node_setups(cfg); // the demos' types
  return serve_node(cfg);
}

register_command reg{"node", "run one cluster node (troupe node --help)",
                     run_node};

} // namespace
} // namespace troupe::cli
