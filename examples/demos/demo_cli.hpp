#pragma once
// The command line of a demo: CLI11 with the conventions of every troupe
// program (tools/command_line.hpp: generated --help, errors that name the
// flag, exit code 2), plus the cluster flags every cluster demo shares.
//
//   CLI::App app{"What the demo shows.", "troupe demo chat"};
//   tools::show_defaults(app);
//   demo::add_cluster_options(app, opt.cluster);
//   app.add_option("--users", opt.users, "users")->check(tools::in_range(1, 1000));
//   app.add_flag_callback("--no-late", [&] { opt.late = false; }, "...");
//   if (auto code = tools::parse(app, argc, argv))
//     return *code;                 // 0 after --help, 2 after a bad flag
//   if (opt.rooms_per_user > opt.rooms)
//     return tools::usage_error(app, "--rooms-per-user cannot exceed --rooms");

#include <string>

#include "demos/demo_cluster.hpp"
#include "tools/command_line.hpp"

namespace troupe::demo {

/// Adds --nodes N (1 to 64), --seed HOST:PORT, --listen HOST:PORT and
/// --log-level LEVEL, stored in `opt`. `nodes_note` adds to --nodes' help
/// (a demo with another default or minimum says so).
void add_cluster_options(CLI::App& app, demo_cluster_options& opt,
                         const std::string& nodes_note = {});

} // namespace troupe::demo
