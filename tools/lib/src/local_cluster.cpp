#include "tools/local_cluster.hpp"

#include "tools/cluster_pki.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string_view>

namespace troupe::tools {

namespace {

using clock_type = std::chrono::steady_clock;

/// Finds "listening on HOST:PORT" in a complete line of `text`.
bool parse_address(const std::string& text, std::string& host, uint16_t& port) {
  static constexpr std::string_view marker = "listening on ";
  auto pos = text.find(marker);
  if (pos == std::string::npos)
    return false;
  auto eol = text.find('\n', pos);
  if (eol == std::string::npos)
    return false; // wait for the whole line
  auto addr = text.substr(pos + marker.size(), eol - pos - marker.size());
  auto colon = addr.rfind(':');
  if (colon == std::string::npos)
    return false;
  host = addr.substr(0, colon);
  port = static_cast<uint16_t>(std::strtoul(addr.c_str() + colon + 1, nullptr, 10));
  return port != 0;
}

/// The URL of "NAME http URL" in `text` (printed before the address line),
/// or "".
std::string parse_http(const std::string& text) {
  static constexpr std::string_view marker = " http http://";
  auto pos = text.find(marker);
  if (pos == std::string::npos)
    return {};
  auto eol = text.find('\n', pos);
  return eol == std::string::npos
           ? std::string{}
           : text.substr(pos + 6, eol - pos - 6);
}

/// 32 random bytes from the kernel, hex-encoded, in a new file of mode 0600.
bool write_secret(const std::string& path) {
  unsigned char bytes[32];
  int rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (rnd < 0 || read(rnd, bytes, sizeof(bytes)) != sizeof(bytes)) {
    if (rnd >= 0)
      close(rnd);
    return false;
  }
  close(rnd);
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (auto b : bytes) {
    text += digits[b >> 4];
    text += digits[b & 15];
  }
  text += '\n';
  unlink(path.c_str());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

} // namespace

local_cluster::local_cluster(std::string binary, std::string log_dir)
  : binary_(std::move(binary)), log_dir_(std::move(log_dir)) {
  mkdir(log_dir_.c_str(), 0755);
  cookie_file_ = log_dir_ + "/cluster.cookie";
  // Clusters in one log directory share its secret: a second one (a twin
  // or an odd node a test starts beside the first) must not replace the
  // secret the running nodes read with one they do not know.
  if (::access(cookie_file_.c_str(), R_OK) == 0)
    return;
  if (!write_secret(cookie_file_)) {
    std::cerr << "warning: cannot write a cluster secret to " << cookie_file_
              << "; the local nodes run without one\n";
    cookie_file_.clear();
  }
}

local_cluster::~local_cluster() {
  stop_all(std::chrono::seconds(5));
  for (auto& t : drainers_)
    if (t.joinable())
      t.join();
}

std::string local_cluster::seed() const {
  for (auto& n : nodes_)
    if (n.pid > 0)
      return n.address();
  return {};
}

std::optional<std::string>
local_cluster::launch(local_node& node, std::chrono::milliseconds timeout) {
  child_process proc;
  if (auto err = spawn_process(node, proc))
    return err;
  return await_address(node, proc, timeout);
}

std::optional<std::string> local_cluster::spawn_process(local_node& node,
                                                        child_process& proc) {
  // In a process group of its own: Ctrl-C goes to the tool, which stops
  // the nodes in order.
  proc = child_process{{.binary = binary_,
                        .args = node.args,
                        .stderr_path = node.log_path,
                        .own_process_group = true,
                        .limits = node.limits}};
  if (auto err = proc.start())
    return "node " + node.name + ": " + *err;
  node.pid = proc.pid();
  return std::nullopt;
}

std::optional<std::string>
local_cluster::await_address(local_node& node, child_process& proc,
                             std::chrono::milliseconds timeout) {
  // The node prints "troupe node NAME listening on HOST:PORT" once it is up.
  std::string buffer;
  auto status = proc.read_until(
    buffer,
    [&](const std::string& text) {
      if (!parse_address(text, node.host, node.port))
        return false;
      node.http = parse_http(text);
      return true;
    },
    timeout);
  std::optional<std::string> err;
  if (status == child_process::read_status::timeout)
    err = "node " + node.name + " did not report its address within "
          + std::to_string(timeout.count()) + " ms; see " + node.log_path;
  else if (status == child_process::read_status::closed)
    err = "node " + node.name + " exited during start-up; see "
          + node.log_path;
  // Whatever the node prints later on stdout goes to its log, so that it
  // never writes into a closed pipe.
  drainers_.emplace_back([fd = proc.release_stdout(), path = node.log_path,
                          rest = buffer] {
    int log = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0 && !rest.empty())
      [[maybe_unused]] auto ignored = write(log, rest.data(), rest.size());
    char chunk[4096];
    for (;;) {
      auto n = read(fd, chunk, sizeof(chunk));
      if (n <= 0)
        break;
      if (log >= 0)
        [[maybe_unused]] auto ignored = write(log, chunk, static_cast<size_t>(n));
    }
    if (log >= 0)
      close(log);
    close(fd);
  });
  if (err) {
    proc.stop(SIGKILL, std::chrono::seconds(5));
    node.pid = -1;
  } else {
    proc.detach(); // from now on node.pid is the handle (signal, stop_all)
  }
  return err;
}

std::optional<std::string> local_cluster::use_tls() {
  tls_dir_ = log_dir_ + "/tls";
  pki_files files;
  std::string error;
  if (!make_cluster_pki(tls_dir_, {}, files, error)) {
    tls_dir_.clear();
    return "cannot make the cluster's certificates: " + error;
  }
  return std::nullopt;
}

std::vector<std::string> local_cluster::tls_args(const std::string& name) const {
  if (tls_dir_.empty())
    return {};
  pki_files files;
  std::string error;
  if (!make_cluster_pki(tls_dir_, {name}, files, error))
    std::cerr << "warning: no certificate for " << name << ": " << error
              << "\n";
  return {"--troupe.tls-cert=" + tls_dir_ + "/" + name + ".pem",
          "--troupe.tls-key=" + tls_dir_ + "/" + name + ".key",
          "--troupe.tls-ca=" + tls_dir_ + "/ca.pem"};
}

local_node local_cluster::make_node(const std::string& name,
                                   std::vector<std::string> extra_args,
                                   bool with_seed) const {
  local_node node;
  node.name = name;
  node.log_path = log_dir_ + "/" + name + ".log";
  node.args = {"node", "--listen", "127.0.0.1:0", "--name", name};
  auto s = with_seed ? seed() : std::string{};
  if (!s.empty()) {
    node.args.push_back("--seeds");
    node.args.push_back(s);
  }
  if (!cookie_file_.empty())
    node.args.push_back("--troupe.cookie-file=" + cookie_file_);
  for (auto& a : tls_args(name))
    node.args.push_back(std::move(a));
  node.limits = limits_;
  for (auto& a : common_args_)
    node.args.push_back(a);
  for (auto& a : extra_args)
    node.args.push_back(std::move(a));
  return node;
}

std::optional<std::string>
local_cluster::start_node(const std::string& name,
                          std::vector<std::string> extra_args,
                          std::chrono::milliseconds timeout) {
  auto node = make_node(name, std::move(extra_args));
  auto err = launch(node, timeout);
  nodes_.push_back(std::move(node));
  return err;
}

std::optional<std::string> local_cluster::start(int n, const std::string& prefix,
                                                std::vector<std::string> extra) {
  auto report = [&](const local_node& node, int i) {
    std::cerr << "  started " << node.name << " (pid " << node.pid << ") on "
              << node.address() << " [" << i << "/" << n << "]\n";
  };
  int first = 1;
  if (seed().empty()) {
    // The first node founds the cluster; the others need its address.
    if (auto err = start_node(prefix + "1", extra))
      return err;
    report(nodes_.back(), 1);
    first = 2;
  }
  // The rest start at once and join through the seed concurrently: a node's
  // start-up (process, CAF, join) is mostly waiting, so 16 nodes take about
  // as long as a few.
  std::vector<std::pair<size_t, child_process>> started; // node index
  std::optional<std::string> err;
  for (int i = first; i <= n && !err; ++i) {
    nodes_.push_back(make_node(prefix + std::to_string(i), extra));
    child_process proc;
    err = spawn_process(nodes_.back(), proc);
    if (!err)
      started.emplace_back(nodes_.size() - 1, std::move(proc));
  }
  int count = first - 1;
  for (auto& [index, proc] : started) {
    auto node_err = await_address(nodes_[index], proc, std::chrono::seconds(60));
    if (node_err && !err)
      err = node_err;
    if (!node_err)
      report(nodes_[index], ++count);
  }
  return err;
}

std::optional<std::string>
local_cluster::start_together(const std::vector<node_spec>& specs,
                              std::chrono::milliseconds timeout) {
  std::vector<std::pair<size_t, child_process>> started; // node index
  std::optional<std::string> err;
  for (auto& spec : specs) {
    auto node = make_node(spec.name, spec.extra_args, false);
    node.args[2] = spec.listen;
    nodes_.push_back(std::move(node));
    child_process proc;
    err = spawn_process(nodes_.back(), proc);
    if (err)
      break;
    started.emplace_back(nodes_.size() - 1, std::move(proc));
  }
  for (auto& [index, proc] : started) {
    auto node_err = await_address(nodes_[index], proc, timeout);
    if (node_err && !err)
      err = node_err;
  }
  return err;
}

void local_cluster::signal(size_t i, int sig) {
  auto& node = nodes_.at(i);
  if (node.pid <= 0)
    return;
  ::kill(node.pid, sig);
  if (sig == SIGTERM || sig == SIGINT)
    ::kill(node.pid, SIGCONT); // a paused node handles its SIGTERM too
  // A pause or resume is not an end: reaping after SIGSTOP would wait 10 s
  // and then SIGKILL the paused node (a fault test would see a crash).
  if (sig == SIGSTOP || sig == SIGCONT || sig == SIGTSTP)
    return;
  if (!reap(node.pid, std::chrono::seconds(10))) {
    ::kill(node.pid, SIGKILL);
    reap(node.pid, std::chrono::seconds(5));
  }
  node.pid = -1;
}

std::optional<std::string> local_cluster::restart(size_t i) {
  auto& node = nodes_.at(i);
  if (node.pid > 0)
    signal(i, SIGKILL);
  // Rejoin through the live nodes, not necessarily the original seed. The
  // first node had no seeds at all: without them it would found a second
  // cluster beside the first (a split brain nobody would notice).
  std::string live;
  for (auto& other : nodes_)
    if (other.pid > 0) {
      if (!live.empty())
        live += ',';
      live += other.address();
    }
  auto seeds = std::find(node.args.begin(), node.args.end(), "--seeds");
  if (seeds != node.args.end())
    node.args.erase(seeds, seeds + 2);
  if (!live.empty()) {
    node.args.insert(node.args.begin() + 5, live);
    node.args.insert(node.args.begin() + 5, "--seeds");
  }
  return launch(node, std::chrono::seconds(30));
}

void local_cluster::stop_all(std::chrono::milliseconds grace) {
  for (auto& node : nodes_)
    if (node.pid > 0) {
      ::kill(node.pid, SIGTERM);
      ::kill(node.pid, SIGCONT); // a paused node handles its SIGTERM too
    }
  auto deadline = clock_type::now() + grace;
  for (auto& node : nodes_) {
    if (node.pid <= 0)
      continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    if (!reap(node.pid, std::max(left, std::chrono::milliseconds(0)))) {
      std::cerr << "  " << node.name << " did not stop within "
                << grace.count() << " ms; killing it\n";
      ::kill(node.pid, SIGKILL);
      reap(node.pid, std::chrono::seconds(5));
    }
    node.pid = -1;
  }
}

} // namespace troupe::tools
