#include "tools/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace troupe::tools {

namespace {

using clock_type = std::chrono::steady_clock;

std::string failed(const char* what) {
  return std::string{what} + " failed: " + std::strerror(errno);
}

void close_fd(int& fd) noexcept {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

bool reap(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD))
      return true;
    if (clock_type::now() >= deadline)
      return false;
    // Polling a child's exit: there is no portable descriptor to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> try_reap(pid_t pid) {
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid)
    return status;
  return std::nullopt;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status))
    return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(WEXITSTATUS(status));
}

child_process::~child_process() {
  if (running())
    stop(spec_.pipe_stdin ? 0 : SIGKILL, std::chrono::seconds(5));
  close_fds();
}

child_process::child_process(child_process&& other) noexcept
  : spec_(std::move(other.spec_)),
    pid_(std::exchange(other.pid_, -1)),
    stdin_(std::exchange(other.stdin_, -1)),
    stdout_(std::exchange(other.stdout_, -1)) {
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    if (running())
      stop(SIGKILL, std::chrono::seconds(5));
    close_fds();
    spec_ = std::move(other.spec_);
    pid_ = std::exchange(other.pid_, -1);
    stdin_ = std::exchange(other.stdin_, -1);
    stdout_ = std::exchange(other.stdout_, -1);
  }
  return *this;
}

std::optional<std::string> child_process::start() {
  // Everything the child needs is prepared here: between fork and exec a
  // child of a multi-threaded process may only make async-signal-safe
  // calls (no allocation).
  std::vector<char*> argv{const_cast<char*>(spec_.binary.c_str())};
  for (auto& a : spec_.args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2] = {-1, -1};
  int in[2] = {-1, -1};
  int log = -1;
  auto close_all = [&] {
    for (int* fd : {&out[0], &out[1], &in[0], &in[1], &log})
      close_fd(*fd);
  };
  // O_CLOEXEC: siblings started later must not inherit these ends, or a
  // reader would not see the end of a child's output when it exits.
  if (pipe2(out, O_CLOEXEC) != 0)
    return failed("pipe");
  if (spec_.pipe_stdin && pipe2(in, O_CLOEXEC) != 0) {
    auto err = failed("pipe");
    close_all();
    return err;
  }
  if (!spec_.stderr_path.empty()) {
    log = ::open(spec_.stderr_path.c_str(),
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
      auto err = failed(("open " + spec_.stderr_path).c_str());
      close_all();
      return err;
    }
  }
  auto parent = getpid();
  auto pid = fork();
  if (pid < 0) {
    auto err = failed("fork");
    close_all();
    return err;
  }
  if (pid == 0) {
    // Dies with its parent, even when the parent is SIGKILLed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) // the parent died before prctl
      _exit(1);
    if (spec_.own_process_group)
      setpgid(0, 0);
    for (auto& [resource, value] : spec_.limits) {
      rlimit lim{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
      setrlimit(resource, &lim);
    }
    if (log >= 0)
      dup2(log, STDERR_FILENO);
    if (in[0] >= 0)
      dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    execv(argv[0], argv.data());
    static constexpr char msg[] = "exec failed: ";
    [[maybe_unused]] auto n1 = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    [[maybe_unused]] auto n2 = write(STDERR_FILENO, argv[0],
                                     std::strlen(argv[0]));
    [[maybe_unused]] auto n3 = write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  close_fd(out[1]);
  close_fd(in[0]);
  close_fd(log);
  pid_ = pid;
  stdout_ = out[0];
  stdin_ = in[1];
  return std::nullopt;
}

child_process::read_status
child_process::read_until(std::string& buffer,
                          const std::function<bool(const std::string&)>& done,
                          std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (done(buffer))
      return read_status::done;
    if (stdout_ < 0)
      return read_status::closed;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    if (left.count() <= 0)
      return read_status::timeout;
    pollfd pfd{stdout_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char chunk[512];
    auto n = ::read(stdout_, chunk, sizeof(chunk));
    if (n <= 0)
      return read_status::closed;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

child_process::read_status
child_process::read_line(std::string& line, std::chrono::milliseconds timeout) {
  std::string buffer;
  auto has_line = [](const std::string& text) {
    return text.find('\n') != std::string::npos;
  };
  auto status = read_until(buffer, has_line, timeout);
  if (status == read_status::done)
    line = buffer.substr(0, buffer.find('\n'));
  return status;
}

int child_process::release_stdout() noexcept {
  return std::exchange(stdout_, -1);
}

void child_process::close_stdin() noexcept {
  close_fd(stdin_);
}

void child_process::signal(int sig) noexcept {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

bool child_process::stop(int sig, std::chrono::milliseconds grace) {
  if (pid_ <= 0)
    return true;
  close_stdin();
  if (sig != 0)
    ::kill(pid_, sig);
  bool clean = reap(pid_, grace);
  if (!clean) {
    ::kill(pid_, SIGKILL);
    reap(pid_, std::chrono::seconds(5));
  }
  pid_ = -1;
  close_fds();
  return clean;
}

pid_t child_process::detach() noexcept {
  return std::exchange(pid_, -1);
}

void child_process::close_fds() noexcept {
  close_fd(stdin_);
  close_fd(stdout_);
}

} // namespace troupe::tools
