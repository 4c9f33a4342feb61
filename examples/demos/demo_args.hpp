#pragma once
// The command line of a demo: its flags, each bound to a field of the
// demo's options and checked against a range, the cluster flags, and
// `--help`. A flag's value follows it (`--users 6`) or is glued to it
// (`--users=6`).
//
//   demo::demo_args args{usage};
//   args.cluster(opt.cluster)
//     .integer("--users", opt.users, 1, 1000)
//     .decimal("--duration", opt.duration, 0.5, 86400)
//     .text("--placement", opt.placement)
//     .sets("--no-late", opt.late, false);
//   if (auto code = args.parse(argc, argv))
//     return *code; // 0 after --help, 2 after a bad command line

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "demos/demo_cluster.hpp"

namespace troupe::demo {

/// Help text of the cluster flags (`demo_args::cluster`).
extern const char* cluster_flags_help;

class demo_args {
public:
  /// `usage` is the demo's whole help text: printed to stdout for
  /// `--help` and to stderr after every error.
  explicit demo_args(std::string usage) : usage_(std::move(usage)) {
  }

  /// `--nodes N` (1 to 64), `--seed`, `--listen` and `--log-level`.
  demo_args& cluster(demo_cluster_options& opt);

  /// `flag N`: a whole number in [lo, hi], stored in `out`.
  template <class T>
  demo_args& integer(std::string flag, T& out, uint64_t lo, uint64_t hi) {
    return add_integer(std::move(flag), lo, hi,
                       [&out](uint64_t x) { out = static_cast<T>(x); });
  }

  /// `flag X`: a number in [lo, hi], decimals allowed.
  demo_args& decimal(std::string flag, double& out, double lo, double hi);

  /// `flag TEXT`: any text; the demo checks it.
  demo_args& text(std::string flag, std::string& out);

  /// `flag` alone: sets `out` to `value`.
  demo_args& sets(std::string flag, bool& out, bool value);

  /// Reads argv[1..]. Nothing if the demo may run; otherwise its exit
  /// code: 0 after printing the help, 2 after an error (printed with the
  /// usage).
  std::optional<int> parse(int argc, char** argv) const;

  /// Prints "error: `what`" and the usage to stderr; returns 2, the exit
  /// code of a bad command line (for checks across flags).
  int fail(const std::string& what) const;

private:
  struct flag {
    std::string name;
    bool takes_value;
    /// Stores the value (null for a flag without one); returns what is
    /// wrong with it, or nothing.
    std::function<std::string(const char*)> store;
  };

  demo_args& add(std::string flag, bool takes_value,
                 std::function<std::string(const char*)> store);
  demo_args& add_integer(std::string flag, uint64_t lo, uint64_t hi,
                         std::function<void(uint64_t)> store);
  const flag* find(const std::string& name) const;

  std::string usage_;
  std::vector<flag> flags_;
};

} // namespace troupe::demo
