// troupe-demos: the demo workloads (`troupe-demos NAME [options]`, also run
// as `troupe demo NAME`), the `node` their clusters run (troupe's node plus
// every demo's types) and `cluster up` for a cluster of such nodes.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "demos/demo_registry.hpp"
#include "tools/cluster_command.hpp"
#include "tools/command_line.hpp"
#include "tools/node_command.hpp"

namespace troupe::demo {

// The registries (see demo_registry.hpp: only this executable's own
// objects may register).
std::vector<demo_entry>& demos() {
  static std::vector<demo_entry> xs;
  return xs;
}

std::vector<node_setup_fn>& node_setups() {
  static std::vector<node_setup_fn> xs;
  return xs;
}

void apply_node_setups(troupe::config& cfg) {
  for (auto fn : node_setups())
    fn(cfg);
}

namespace {

std::vector<std::string>& written_paths() {
  static std::vector<std::string> xs;
  return xs;
}

} // namespace

void remove_after_success(std::string path) {
  written_paths().push_back(std::move(path));
}

namespace {

std::vector<demo_entry> sorted_demos() {
  auto xs = demos();
  std::sort(xs.begin(), xs.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  return xs;
}

void list(std::ostream& out) {
  out << "demos:\n";
  for (auto& d : sorted_demos())
    out << "  " << d.name << std::string(14 - std::min<size_t>(d.name.size(), 13), ' ')
        << d.summary << '\n';
  out << "\nrun `troupe demo NAME --help` for a demo's options\n";
}

/// Runs demo `d` with the arguments CLI11 left to it.
int run_demo(const demo_entry& d, const std::vector<std::string>& rest) {
  std::vector<std::string> args{"troupe demo " + d.name};
  args.insert(args.end(), rest.begin(), rest.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  auto code = d.run(static_cast<int>(argv.size()), argv.data());
  for (auto& path : written_paths()) {
    std::error_code ec;
    if (code == 0)
      std::filesystem::remove_all(path, ec);
    else if (std::filesystem::exists(path, ec))
      std::cerr << "kept for a look at what went wrong: " << path << "\n";
  }
  return code;
}

} // namespace

} // namespace troupe::demo

int main(int argc, char** argv) {
  using namespace troupe;
  CLI::App app{"troupe-demos: demo workloads on an embedded troupe cluster "
               "(also `troupe demo NAME`)",
               "troupe-demos"};
  tools::show_defaults(app);
  bool list_only = false;
  app.add_flag("--list", list_only, "list the demos");
  std::vector<tools::command> commands{
    tools::add_node_command(
      app, {.summary = "run one node that hosts the demos' actors (what "
                       "the demos' local clusters run)",
            .footer = "\nExported actor types: every demo's (troupe-demos "
                      "--list).\n",
            .setup = demo::apply_node_setups}),
    tools::add_cluster_command(app, tools::self_path()),
  };
  for (auto& d : demo::sorted_demos()) {
    auto* sub = app.add_subcommand(d.name, d.summary);
    // The demo reads its own options, --help included.
    sub->prefix_command();
    sub->set_help_flag();
    commands.push_back({sub, [sub, d] { return demo::run_demo(d, sub->remaining()); }});
  }
  app.require_subcommand(0, 1);
  if (auto code = tools::parse(app, argc, argv))
    return *code;
  if (list_only || app.get_subcommands().empty()) {
    demo::list(list_only ? std::cout : std::cerr);
    return list_only ? 0 : 2;
  }
  return tools::run_parsed(app, commands);
}
