#pragma once
// Starting and stopping the processes of a local cluster or a benchmark:
// fork, pipes, exec, bounded waits for a line of output and for the exit.
// Every child dies with the process that started it (PR_SET_PDEATHSIG), so
// nothing is left behind even when the parent is SIGKILLed.
//
//   tools::child_process server{{.binary = self_path(), .args = {"--server"},
//                                .pipe_stdin = true}};
//   if (auto err = server.start()) ...;            // an error text
//   std::string line;
//   if (server.read_line(line, 10s) != child_process::read_status::done) ...;
//   server.stop();                                  // or the destructor

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace troupe::tools {

/// What to start and how to wire it up.
struct child_spec {
  std::string binary;            ///< executable path (argv[0])
  std::vector<std::string> args; ///< argv[1..]
  /// Non-empty: the child's stderr is appended to this file.
  std::string stderr_path;
  /// A pipe to the child's stdin (close_stdin() is then its signal to
  /// stop); otherwise it inherits this process's stdin.
  bool pipe_stdin = false;
  /// In a process group of its own, so a Ctrl-C in the terminal reaches
  /// only the parent, which then stops its children in order.
  bool own_process_group = false;
  /// Resource limits set in the child before exec (soft and hard alike):
  /// RLIMIT_AS, RLIMIT_NOFILE, ... with their values.
  std::vector<std::pair<int, uint64_t>> limits = {};
};

/// Waits at most `timeout` for `pid` to exit and reaps it. True once it is
/// gone (also if it was reaped elsewhere).
bool reap(pid_t pid, std::chrono::milliseconds timeout);

/// Reaps `pid` if it has exited, without waiting: its wait status, or
/// nothing while it runs.
std::optional<int> try_reap(pid_t pid);

/// "status 3" or "signal 9": how a child ended, from its wait status.
std::string describe_exit(int status);

/// One child process. Movable, not copyable. The destructor stops a child
/// still running: by closing its stdin (with `pipe_stdin`, then SIGKILL
/// after 5 s), or else by SIGKILL.
class child_process {
public:
  child_process() = default;
  explicit child_process(child_spec spec) : spec_(std::move(spec)) {
  }
  ~child_process();

  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Forks and execs the child with a pipe from its stdout. An error text
  /// if that failed (the child is not running then).
  std::optional<std::string> start();

  enum class read_status {
    done,    ///< the expected output arrived
    timeout, ///< not within the timeout
    closed,  ///< the child closed its stdout first (it exited)
  };

  /// Reads the child's stdout into `buffer` until `done(buffer)` holds,
  /// at most `timeout`.
  read_status read_until(std::string& buffer,
                         const std::function<bool(const std::string&)>& done,
                         std::chrono::milliseconds timeout);

  /// Reads the first line the child prints (without its newline).
  read_status read_line(std::string& line, std::chrono::milliseconds timeout);

  /// Hands the read end of the child's stdout over to the caller, who must
  /// keep reading it (or the child blocks once the pipe is full).
  int release_stdout() noexcept;

  /// Closes the child's stdin (with `pipe_stdin`).
  void close_stdin() noexcept;

  /// Sends `sig` to the child (if it runs).
  void signal(int sig) noexcept;

  /// Asks the child to stop (closes its stdin if it has a pipe, sends
  /// `sig` unless it is 0), waits at most `grace` for its exit, then
  /// SIGKILLs it. False if it had to be killed.
  bool stop(int sig, std::chrono::milliseconds grace);

  /// Forgets the child without stopping it (the caller reaps it).
  pid_t detach() noexcept;

  pid_t pid() const noexcept {
    return pid_;
  }

  bool running() const noexcept {
    return pid_ > 0;
  }

private:
  void close_fds() noexcept;

  child_spec spec_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
};

} // namespace troupe::tools
