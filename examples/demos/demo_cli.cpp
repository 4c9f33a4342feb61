#include "demos/demo_cli.hpp"

namespace troupe::demo {

void add_cluster_options(CLI::App& app, demo_cluster_options& opt,
                         const std::string& nodes_note) {
  auto group = "Cluster";
  app.add_option("--nodes", opt.nodes,
                 "worker node processes of the embedded local cluster"
                   + (nodes_note.empty() ? std::string{} : "; " + nodes_note))
    ->check(tools::in_range(1, 64))
    ->group(group);
  app.add_option("--seed", opt.seed,
                 "run against a running cluster instead (started with "
                 "`troupe-demos cluster up`)")
    ->type_name("HOST:PORT")
    ->group(group);
  app.add_option("--cookie-file", opt.cookie_file,
                 "with --seed: the cluster's secret (`troupe-demos cluster up` "
                 "prints it)")
    ->type_name("FILE")
    ->group(group);
  app.add_option("--listen", opt.listen,
                 "this process's address when it joins; use a reachable host "
                 "with --seed on other machines")
    ->type_name("HOST:PORT")
    ->group(group);
  app.add_option("--log-level", opt.log_level,
                 "this process's log level: debug, info, warning, error or "
                 "quiet")
    ->type_name("LEVEL")
    ->group(group);
}

} // namespace troupe::demo
