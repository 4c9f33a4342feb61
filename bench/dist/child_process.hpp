#pragma once
// A server process for bench_dist_caf: this program run again with other
// arguments, which prints one line (its port) on stdout and runs until its
// stdin closes. It dies with its parent (PR_SET_PDEATHSIG), and the
// destructor stops it (stdin closed, then SIGKILL after a grace period), so
// no process outlives the benchmark, also when it fails.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench::dist {

class child_process {
public:
  using clock = std::chrono::steady_clock;

  /// Starts `binary args...` and waits at most `timeout` for its first line
  /// on stdout; throws std::runtime_error otherwise (the child is stopped).
  child_process(const std::string& binary, std::vector<std::string> args,
                std::chrono::milliseconds timeout) {
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string{"pipe failed: "}
                               + std::strerror(errno));
    auto parent = getpid();
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error(std::string{"fork failed: "}
                               + std::strerror(errno));
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) // the parent died before prctl
        _exit(1);
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      std::vector<char*> argv{const_cast<char*>(binary.c_str())};
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      std::fprintf(stderr, "exec %s failed: %s\n", binary.c_str(),
                   std::strerror(errno));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    line_ = read_line(timeout);
  }

  ~child_process() {
    stop();
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The first line the child printed (without the newline).
  const std::string& first_line() const noexcept {
    return line_;
  }

  /// Closes the child's stdin (its signal to stop) and reaps it; SIGKILL
  /// if it has not exited after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (stdin_ >= 0)
      close(stdin_);
    stdin_ = -1;
    if (pid_ > 0 && !reap(grace)) {
      std::fprintf(stderr,
                   "  server %d did not stop within %lld ms; "
                   "killing it\n",
                   static_cast<int>(pid_),
                   static_cast<long long>(grace.count()));
      ::kill(pid_, SIGKILL);
      reap(std::chrono::seconds(5));
    }
    pid_ = -1;
    if (stdout_ >= 0)
      close(stdout_);
    stdout_ = -1;
  }

private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string buffer;
    auto deadline = clock::now() + timeout;
    for (;;) {
      auto nl = buffer.find('\n');
      if (nl != std::string::npos)
        return buffer.substr(0, nl);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - clock::now());
      if (left.count() <= 0) {
        stop(std::chrono::milliseconds(0));
        throw std::runtime_error("the server process printed no line within "
                                 + std::to_string(timeout.count()) + " ms");
      }
      pollfd pfd{stdout_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char chunk[256];
      auto n = read(stdout_, chunk, sizeof(chunk));
      if (n <= 0) {
        stop(std::chrono::milliseconds(0));
        throw std::runtime_error("the server process exited during start-up "
                                 "(see its messages above)");
      }
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }

  /// Waits at most `timeout` for the child's exit. Polling: there is no
  /// portable descriptor to wait on for a child's exit.
  bool reap(std::chrono::milliseconds timeout) {
    auto deadline = clock::now() + timeout;
    for (;;) {
      int status = 0;
      auto r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD))
        return true;
      if (clock::now() >= deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string line_;
};

} // namespace bench::dist
