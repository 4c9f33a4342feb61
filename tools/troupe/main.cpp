// The `troupe` tool: `troupe <command> [options]`; `troupe --help` (or
// `troupe help`) lists the commands, `troupe <command> --help` explains one.

#include <iostream>

#include "commands.hpp"
#include "tools/cluster_command.hpp"
#include "tools/command_line.hpp"

int main(int argc, char** argv) {
  using namespace troupe;
  CLI::App app{"troupe: run, inspect and try troupe clusters", "troupe"};
  tools::show_defaults(app);
  // The commands, listed here rather than registered by static
  // initializers: this list is the tool.
  std::vector<tools::command> commands{
    tool::add_node_command(app),
    tools::add_cluster_command(app, tools::self_path()),
    tool::add_status_command(app),
    tool::add_top_command(app),
    tool::add_demo_command(app),
    tool::add_tls_command(app),
  };
  auto* help = app.add_subcommand("help", "print this help");
  commands.push_back({help, [&app] {
                        // app.help() would describe the parsed `help` itself.
                        std::cout << app.get_formatter()->make_help(
                          &app, app.get_name(), CLI::AppFormatMode::Normal);
                        return 0;
                      }});
  app.require_subcommand(0, 1);
  if (auto code = tools::parse(app, argc, argv))
    return *code;
  return tools::run_parsed(app, commands);
}
