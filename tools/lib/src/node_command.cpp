#include "tools/node_command.hpp"

#include <iostream>
#include <memory>
#include <vector>

#include "tools/serve_node.hpp"

namespace troupe::tools {

namespace {

struct node_options {
  std::string listen;
  std::string seeds;
  std::string name;
  std::string config_file;
};

} // namespace

command add_node_command(CLI::App& app, node_command_spec spec) {
  auto opt = std::make_shared<node_options>();
  auto* sub = app.add_subcommand("node", spec.summary);
  sub->add_option("--listen", opt->listen,
                  "HOST:PORT to listen on; port 0 picks a free port. The node "
                  "prints \"troupe node NAME listening on HOST:PORT\" when up "
                  "(default 127.0.0.1:0)")
    ->type_name("HOST:PORT");
  sub->add_option("--seeds", opt->seeds,
                  "comma-separated addresses of running nodes to join; none "
                  "starts a new cluster")
    ->type_name("LIST");
  sub->add_option("--name", opt->name,
                  "the node's name in the cluster (default: host name and PID)")
    ->type_name("NAME");
  sub->add_option("--config", opt->config_file,
                  "a config file in CAF's format (troupe { listen=... })")
    ->type_name("FILE");
  // Everything else is CAF's or troupe's (--troupe.*, --scheduler.*).
  sub->allow_extras();
  auto program = app.get_name() + " " + sub->get_name();
  sub->footer([footer = spec.footer, program] {
    return footer + "\n" + troupe::config{}.help_text(program);
  });
  auto run = [opt, sub, program, setup = std::move(spec.setup)]() -> int {
    std::vector<std::string> args;
    if (!opt->listen.empty())
      args.push_back("--troupe.listen=" + opt->listen);
    if (!opt->seeds.empty())
      args.push_back("--troupe.seeds=" + opt->seeds);
    if (!opt->name.empty())
      args.push_back("--troupe.node-name=" + opt->name);
    if (!opt->config_file.empty())
      args.push_back("--config-file=" + opt->config_file);
    for (auto& rest : sub->remaining())
      args.push_back(rest);
    troupe::config cfg;
    if (!cfg.load(program, std::move(args), std::cerr))
      return cfg.exit_code();
    if (setup)
      setup(cfg);
    return serve_node(cfg);
  };
  return {sub, std::move(run)};
}

} // namespace troupe::tools
