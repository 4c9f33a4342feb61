#pragma once
// Command-line options every benchmark program understands (CLI11, with the
// conventions of every troupe program: tools/command_line.hpp). Whatever
// they do not name goes to CAF's own parser unchanged, so CAF options such
// as --scheduler.max-threads=2 can be tried without a rebuild.
//   --quick          smaller sizes and one run per benchmark (a smoke test)
//   --only=a,b       run only the benchmarks whose id starts with a or b

#include <optional>
#include <string>
#include <vector>

#include "tools/command_line.hpp"

namespace bench {

struct options {
  bool quick = false;
  std::vector<std::string> only;
  /// The options left to CAF (e.g. --scheduler.max-threads=2), in order.
  std::vector<std::string> caf_args;

  /// Adds --quick and --only to `app` and lets every other option through
  /// to `caf_args` (see `collect`).
  void add_to(CLI::App& app) {
    app.add_flag("--quick", quick,
                 "smaller sizes and one run per benchmark (a smoke test)");
    app.add_option("--only", only,
                   "run only the benchmarks whose id starts with one of these")
        ->delimiter(',')
        ->type_name("ID,...");
    app.allow_extras();
  }

  /// Takes what CLI11 left over, once `app` is parsed.
  void collect(const CLI::App& app, std::string program) {
    caf_args = app.remaining();
    args_ = {std::move(program)};
    args_.insert(args_.end(), caf_args.begin(), caf_args.end());
    argv_.clear();
    for (auto& a : args_)
      argv_.push_back(a.data());
  }

  bool wants(const std::string& id) const {
    if (only.empty())
      return true;
    for (auto& prefix : only)
      if (id.rfind(prefix, 0) == 0)
        return true;
    return false;
  }

  /// `full` normally, `small` with --quick.
  template <class T>
  T size(T full, T small) const {
    return quick ? small : full;
  }

  int runs() const {
    return quick ? 1 : 3;
  }

  /// The program name and `caf_args`, for caf::actor_system_config::parse.
  int argc() const {
    return static_cast<int>(argv_.size());
  }

  char** argv() {
    return argv_.data();
  }

private:
  std::vector<std::string> args_;
  std::vector<char*> argv_;
};

/// Parses the command line of a benchmark without subcommands: nothing if
/// it may run, otherwise its exit code (0 after --help, 2 after an error).
inline std::optional<int> parse(options& opts, const std::string& name,
                                const std::string& about, int argc,
                                char** argv) {
  CLI::App app{about, name};
  opts.add_to(app);
  if (auto code = troupe::tools::parse(app, argc, argv))
    return code;
  opts.collect(app, name);
  return std::nullopt;
}

} // namespace bench
