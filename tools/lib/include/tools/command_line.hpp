#pragma once
// The command-line conventions of every troupe program (the tool, the
// demos, the benchmarks), on CLI11: generated --help (exit 0), one error
// style that names the flag ("error: --nodes: needs an integer between 1
// and 64, got \"0\""), exit code 2 for a bad command line. Options meant for
// CAF's own parser (--troupe.*, --scheduler.*, --config-file=...) are left
// to it: commands that take them `allow_extras()` and hand `remaining()`
// on unchanged.

#include <charconv>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

namespace troupe::tools {

/// A subcommand and what it does once the command line is parsed.
struct command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

/// Shows every option's default in the generated help; call before adding
/// options (subcommands added later inherit it).
void show_defaults(CLI::App& app);

/// Parses the command line. Nothing if the program may go on; otherwise
/// its exit code: 0 after printing the help, 2 after a bad command line
/// (the error is printed to stderr).
std::optional<int> parse(CLI::App& app, int argc, char** argv);

/// Runs the command whose subcommand was parsed. With none: prints `app`'s
/// help to stderr and returns 2.
int run_parsed(const CLI::App& app, const std::vector<command>& commands);

/// Prints "error: `what`" and where to find the options to stderr; returns
/// 2, the exit code of a bad command line (for checks across flags).
int usage_error(const CLI::App& app, const std::string& what);

/// Accepts a number in [lo, hi] written as a `T` ("-1" is no unsigned
/// number: CLI11 2.1's own conversion would wrap it around). The message
/// names the range: "needs an integer between 1 and 64, got \"0\"".
template <class T>
CLI::Validator in_range(T lo, T hi) {
  static_assert(std::is_arithmetic_v<T>);
  std::ostringstream range;
  range << lo << " to " << hi;
  auto check = [lo, hi](std::string& text) -> std::string {
    T x{};
    auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, x);
    if (ec == std::errc{} && ptr == end && !(x < lo) && !(hi < x))
      return {};
    std::ostringstream out;
    out << "needs " << (std::is_integral_v<T> ? "an integer" : "a number")
        << " between " << lo << " and " << hi << ", got \"" << text << "\"";
    return out.str();
  };
  return CLI::Validator{check, range.str()};
}

/// Path of the running executable (/proc/self/exe), to start it again as a
/// node or server process.
std::string self_path();

} // namespace troupe::tools
